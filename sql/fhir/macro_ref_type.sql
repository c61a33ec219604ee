-- The resource type a FHIR reference names: 'Encounter/1', 'http://x/fhir/Encounter/1/_history/2' and
-- 'Organization?identifier=s|v' name theirs; 'urn:uuid:...' names none (it is resolved by id alone). The
-- common relative form ('Type/id': no ':' and one '/') is split with strpos, without a list or a regular
-- expression.
create or replace temp macro fhir_ref_type(ref) as
    case when ref like 'urn:%' then null
         when contains(ref, '?') then split_part(ref, '?', 1)
         when not contains(ref, ':') and strpos(ref, '/') > 0 and not contains(substr(ref, strpos(ref, '/') + 1), '/')
             then left(ref, strpos(ref, '/') - 1)
         else nullif(regexp_extract(ref, '([A-Za-z]+)/[^/?]+(/_history/[^/]+)?$', 1), '') end
