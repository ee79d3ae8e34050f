-- The serving role checks that the schema is migrated before it serves
-- (`kentro migrate` runs as the owner; in production the server never
-- holds the owner's credentials). It may read which migrations ran, and
-- nothing else about them.
GRANT SELECT ON seaql_migrations TO kentro_app;
