-- What a FHIR reference is resolved by: 'id:<id>' for a relative, absolute or urn:uuid/urn:oid reference,
-- 'identifier=<system>|<value>' for a conditional one (matched against the export's identifiers). The
-- common relative form is split without a regular expression.
create or replace temp macro fhir_ref_key(ref) as
    case when ref like 'urn:uuid:%' or ref like 'urn:oid:%' then 'id:' || regexp_replace(ref, '^urn:(uuid|oid):', '')
         when contains(ref, '?') then split_part(ref, '?', 2)
         when not contains(ref, ':') and len(string_split(ref, '/')) = 2 then 'id:' || nullif(split_part(ref, '/', 2), '')
         else 'id:' || nullif(regexp_extract(ref, '([A-Za-z]+)/([^/?]+)(/_history/[^/]+)?$', 2), '') end
