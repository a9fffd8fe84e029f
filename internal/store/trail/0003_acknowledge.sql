-- An acknowledgement: a checkpoint that re-anchors the trail after damage
-- the partnership investigated and accepted (records lost from the end,
-- checkpoints removed), signed like any other. acknowledges is the number
-- of the first checkpoint whose claims about the records it voids (those
-- from it to the acknowledgement's own number, exclusive); 0 on every
-- ordinary checkpoint. The witness keeps copies with the same column.
ALTER TABLE checkpoints ADD COLUMN acknowledges BIGINT NOT NULL DEFAULT 0;
ALTER TABLE witness ADD COLUMN acknowledges BIGINT NOT NULL DEFAULT 0;
