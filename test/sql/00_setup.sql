-- The extension and the helpers (schema t) every regression file uses:
-- each file installs them through test/sql/setup.psql when they are not
-- there, so that it can run alone; this one only shows what it got.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SELECT extname, extversion, extrelocatable FROM pg_extension WHERE extname = 'booking';
SELECT p.oid::regprocedure AS helper FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 't' AND p.proname IN ('rel', 'try', 'inv') ORDER BY p.oid::regprocedure::text;
