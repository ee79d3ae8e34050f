-- Merging two records of one person removes the duplicate after moving
-- everything that referred to it; the server may delete person rows for that.
GRANT DELETE ON person, consent TO kentro_app;
