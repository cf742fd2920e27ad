-- pgbench script: a channel manager applying the ARI feed while it changes.
SELECT stress.ari_drain(50);
