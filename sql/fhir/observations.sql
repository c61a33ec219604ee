-- Every Observation line of a FHIR batch and its outcome: a score ('mapped') when final or amended (or
-- corrected, a kind of amended), coded with a LOINC code of the measure registry and pointing to a session
-- encounter; out of scope with the reason otherwise, or quarantined when its encounter reference is missing
-- or does not resolve inside the export (no row can be made of it).
create or replace temp table fhir_observations as
with o as (
    select rowid + 1 as _line, resourceType, id, status, encounter.reference as enc_ref,
           list_filter(code.coding, lambda c: c.system = $loinc_system and list_contains($loinc_codes, c.code))[1].code as loinc,
           try_cast(effectiveDateTime as timestamptz) as effective,
           coalesce(valueQuantity.value, valueInteger) as value
    from fhir_observation_lines
),

sessions as (
    select id, min(_line) as _line, any_value(p_start) as p_start, any_value(p_end) as p_end
    from fhir_encounters where reason is null group by id
)

select o.*, ie.id as enc_id, s._line as session_line, s.p_start, s.p_end,
       case when o.resourceType is distinct from 'Observation' then 'its resourceType is not the manifest''s type'  -- noqa: PRS
            when o.status = 'entered-in-error' then 'entered-in-error'
            when o.status is null or o.status not in ('final', 'amended', 'corrected') then 'not final or amended'
            when o.loinc is null then 'its code is not a measure of the registry'
            when o.enc_ref is null then 'fhir_encounter_missing'
            when ie.id is null then 'fhir_encounter_unresolved'
            when s.id is null then 'its encounter is not a massage session' end as reason
from o
left join fhir_ids as ie
  on ie.rtype = 'Encounter' and ie.key = fhir_ref_key(o.enc_ref) and ie.ids = 1
 and coalesce(fhir_ref_type(o.enc_ref), 'Encounter') = 'Encounter'
left join sessions as s on s.id = ie.id
