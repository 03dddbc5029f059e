"""Planning: the pure planner, its findings, outcome, strategy and planHash."""
