-- Every Procedure line of a FHIR batch, with what the mapping needs: a massage code (CPT or SNOMED CT of the
-- project's code table, bound as 'system|code' in $massage_codes), its CPT coding, its performedPeriod and
-- the id of the Encounter it points to when that reference resolves inside the export. A candidate is a
-- completed massage procedure; whether it is used depends on its encounter (sql/fhir/encounters.sql).
create or replace temp table fhir_procedures as
with p as (
    select rowid + 1 as _line, resourceType, id, status, encounter.reference as enc_ref,
           len(list_filter(code.coding, lambda c: list_contains($massage_codes, c.system || '|' || c.code))) > 0 as massage,
           list_filter(code.coding, lambda c: c.system = $cpt_system)[1].code as cpt,
           try_cast(performedPeriod."start" as timestamptz) as p_start,
           try_cast(performedPeriod."end" as timestamptz) as p_end
    from fhir_procedure_lines
)

select p.*, ie.id as enc_id,
       p.resourceType = 'Procedure' and p.status = 'completed' and p.massage as candidate,
       case when p.resourceType is distinct from 'Procedure' then 'its resourceType is not the manifest''s type'  -- noqa: PRS
            when p.status = 'entered-in-error' then 'entered-in-error'
            when p.status is distinct from 'completed' then 'not completed'
            when not p.massage then 'not a massage code of the project''s code table'
            when p.enc_ref is null then 'fhir_encounter_missing'
            when ie.id is null then 'fhir_encounter_unresolved' end as reason
from p
left join fhir_ids as ie
  on ie.rtype = 'Encounter' and ie.key = fhir_ref_key(p.enc_ref) and ie.ids = 1
 and coalesce(fhir_ref_type(p.enc_ref), 'Encounter') = 'Encounter'
