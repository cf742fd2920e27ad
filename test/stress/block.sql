-- pgbench script: blocks (2.0): a pickup most of the time, else a new
-- block, a resize or a release (by hand or release_due_blocks).
\set op random(1, 10)
SELECT CASE WHEN :op <= 6 THEN stress.try_block_pickup(:pid)
            WHEN :op = 7 THEN stress.try_block_new(:pid)
            WHEN :op = 8 THEN stress.try_block_resize(:pid)
            ELSE stress.try_block_release(:pid) END;
