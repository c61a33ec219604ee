-- The sessions of a FHIR batch (contract section 1): one row per mapped Encounter, every id a keyed
-- pseudonym, no date (session_day counts from the patient's first massage encounter in the network's data:
-- audit.fhir_anchors, else this batch), and a note in plain words when a field could not be mapped (the
-- staging rules then quarantine the row with their reason code). Everything that depends on a reference
-- alone (resolving it, its pseudonym, a Condition's codes, a patient's first day, gender and birth date) is
-- computed once per distinct reference; per encounter only its own fields and its session pseudonym.
-- _row_number is the row's place among the batch's sessions in file order (raw.sessions).
create or replace temp table fhir_sessions as
with patients_ref as (  -- each distinct subject reference resolved once, with its first day in this batch
    select r.patient_ref, ip.id as patient_key, r.first_day
    from (select patient_ref,
                 date_diff('day', date '1970-01-01', min(try_strptime(left(period_start, 10), '%Y-%m-%d')::date)) as first_day
          from fhir_encounters where reason is null group by patient_ref) as r
    join fhir_ids as ip on ip.rtype = 'Patient' and ip.key = fhir_ref_key(r.patient_ref) and ip.ids = 1
     and coalesce(fhir_ref_type(r.patient_ref), 'Patient') = 'Patient'
),

patients as (  -- per patient: pseudonym, first day (the network's anchor, else this batch's), gender, birth date
    select x.patient_key, x.patient_id, pt.gender, try_strptime(pt.birthDate, '%Y-%m-%d')::date as birth,
           coalesce(case when a.patient_id is not null
                         then a.anchor_keyed - ('0x' || left(fhir_pseudonym('anchor/' || x.patient_id), 5))::integer end,
                    x.first_in_batch) as first_day
    from (select patient_key, fhir_pseudonym('Patient/' || patient_key) as patient_id, min(first_day) as first_in_batch
          from patients_ref group by patient_key) as x
    left join audit.fhir_anchors as a on a.patient_id = x.patient_id
    left join (select id, any_value(gender) as gender, any_value(birthDate) as birthDate
               from fhir_patient_lines where resourceType = 'Patient' group by id) as pt on pt.id = x.patient_key
),

patient_refs as (
    select r.patient_ref, p.* from patients_ref as r join patients as p on p.patient_key = r.patient_key
),

conditions_ref as (  -- each distinct reasonReference resolved once, with its Condition's ICD-10-CM and SNOMED CT codes
    select r.condition_ref, ic.id as condition_key,
           list_filter(c.code.coding, lambda k: k.system = $icd_system)[1].code as icd,
           list_filter(c.code.coding, lambda k: k.system = $snomed_system)[1].code as sct
    from (select distinct condition_ref from fhir_encounters where reason is null and reason_coding is null) as r
    join fhir_ids as ic on ic.rtype = 'Condition' and ic.key = fhir_ref_key(r.condition_ref) and ic.ids = 1
     and coalesce(fhir_ref_type(r.condition_ref), 'Condition') = 'Condition'
    join (select id, any_value(code) as code from fhir_condition_lines
          where resourceType = 'Condition'
            and not coalesce(list_contains(list_transform(verificationStatus.coding, lambda v: v.code), 'entered-in-error'), false)
          group by id) as c on c.id = ic.id
),

others_ref as (  -- Organization, Practitioner, EpisodeOfCare: ids to pseudonymise, resolved when the export has them
    select kind, ref, id, fhir_pseudonym(coalesce(kind || '/' || id, ref)) as p
    from (select r.kind, r.ref,
                 coalesce(i.id, case when fhir_ref_type(r.ref) = r.kind and fhir_ref_key(r.ref) like 'id:%'
                                     then substr(fhir_ref_key(r.ref), 4) end) as id
          from (select distinct 'Organization' as kind, org_ref as ref from fhir_encounters
                where reason is null and org_ref is not null
                union select distinct 'Practitioner', prac_ref from fhir_encounters where reason is null and prac_ref is not null
                union select distinct 'EpisodeOfCare', episode_ref from fhir_encounters
                where reason is null and episode_ref is not null) as r
          left join fhir_ids as i on i.rtype = r.kind and i.key = fhir_ref_key(r.ref) and i.ids = 1)
),

mapped as (  -- per encounter (a projection, not materialised: read once)
    select e.*, p.patient_key, p.patient_id, p.first_day, p.gender, ic.condition_key,
           date_diff('day', date '1970-01-01', e.enc_date) as enc_day,
           case when e.reason_coding is not null then list_filter(e.reason_coding, lambda k: k.system = $icd_system)[1].code
                else ic.icd end as icd,
           case when e.reason_coding is not null then list_filter(e.reason_coding, lambda k: k.system = $snomed_system)[1].code
                else ic.sct end as sct,
           year(e.enc_date) - year(p.birth)
           - case when month(e.enc_date) * 100 + day(e.enc_date) < month(p.birth) * 100 + day(p.birth) then 1 else 0 end as age
    from (select _line, id, patient_ref, org_ref, episode_ref, prac_ref, reason_coding, condition_ref, cpt,
                 try_strptime(left(period_start, 10), '%Y-%m-%d')::date as enc_date,
                 coalesce(epoch(p_end - p_start),
                          epoch(try_cast(period_end as timestamptz) - try_cast(period_start as timestamptz))) as seconds
          from fhir_encounters where reason is null) as e
    left join patient_refs as p on p.patient_ref = e.patient_ref
    left join conditions_ref as ic on ic.condition_ref = e.condition_ref and e.reason_coding is null
)

select
    m._line, m.id, m.patient_key, m.condition_key, io.id as org_id, ipr.id as prac_id, m.enc_day,
    coalesce($clinic_id, case when regexp_full_match(io.id, $clinic_id_pattern) then io.id end, io.p) as clinic_id,
    m.patient_id,
    fhir_pseudonym('Encounter/' || m.id) as session_id,
    iep.p as episode_id,
    (m.enc_day - m.first_day)::varchar as session_day,
    year(m.enc_date)::varchar as session_year,
    coalesce(m.icd, s.icd10cm_code, 'SCT:' || m.sct) as condition_code,
    round(m.seconds / 60)::bigint::varchar as duration_min,
    ipr.p as therapist_id,
    m.cpt as cpt_code,
    case when m.age >= 90 then '90+' when m.age >= 65 then '65-89' when m.age >= 45 then '45-64'
         when m.age >= 30 then '30-44' when m.age >= 18 then '18-29' end as age_band,
    case m.gender when 'female' then 'F' when 'male' then 'M' when 'other' then 'X' when 'unknown' then 'U' end as sex,
    case when m.patient_key is null then 'its subject is not a Patient of the export'
         when m.reason_coding is null and m.condition_ref is null then 'it gives no reason (reasonCode or reasonReference)'
         when m.reason_coding is null and m.condition_key is null then 'its reasonReference is not a Condition of the export'
         when m.icd is null and m.sct is null then 'its reason has neither an ICD-10-CM nor a SNOMED CT coding'
         when m.icd is null and s.icd10cm_code is null then 'its reason is a SNOMED CT code outside the project''s table'
         when m.seconds is null then 'neither its massage Procedure nor it has a period: no duration'
         when m.enc_date is null then 'it has no period.start: no session day' end as note,
    $batch_id as _batch_id,
    n._row_number
from mapped as m
left join others_ref as io on io.kind = 'Organization' and io.ref = m.org_ref
left join others_ref as ipr on ipr.kind = 'Practitioner' and ipr.ref = m.prac_ref
left join others_ref as iep on iep.kind = 'EpisodeOfCare' and iep.ref = m.episode_ref
left join fhir_snomed as s on s.snomed_code = m.sct and m.icd is null
left join (select _line, row_number() over (order by _line) as _row_number from fhir_encounters where reason is null) as n
  on n._line = m._line
