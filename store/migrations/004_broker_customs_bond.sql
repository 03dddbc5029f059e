-- E-006: a formal entry needs a customs bond on file with the broker ({type, suretyCode?})
ALTER TABLE brokers ADD COLUMN IF NOT EXISTS customs_bond jsonb;
