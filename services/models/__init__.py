"""The models of the use cases: their typed inputs (commands, the request bodies) and the views
they answer, in the wire's shape; the HTTP layer uses them as its request and response models."""
