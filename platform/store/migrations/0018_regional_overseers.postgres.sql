-- Regional overseers: a platform role (no tenant) bound to one of the
-- thirteen regions, whose figures are all they see.
ALTER TABLE user_account ADD COLUMN region TEXT;
ALTER TABLE user_account DROP CONSTRAINT platform_roles_have_no_tenant;
ALTER TABLE user_account ADD CONSTRAINT platform_roles_have_no_tenant
    CHECK ((role IN ('platform_admin', 'ministry_overseer', 'regional_overseer')) = (tenant_id IS NULL));
ALTER TABLE user_account ADD CONSTRAINT regional_overseers_have_a_region
    CHECK ((role = 'regional_overseer') = (region IS NOT NULL));
