-- The sessions of a FHIR batch (contract section 1): one row per mapped Encounter, in file order, every
-- id a keyed pseudonym, no date (session_day counts from the patient's first massage encounter in the
-- network's data: audit.fhir_anchors, else this batch), and a note in plain words when a field could not
-- be mapped (the staging rules then quarantine the row with their reason code). Pseudonyms of patients,
-- episodes, therapists and clinics are computed once per distinct value.
create or replace temp table fhir_sessions as
with e as (
    select _line, id, patient_ref, org_ref, episode_ref, prac_ref, reason_coding, condition_ref,
           try_strptime(left(period_start, 10), '%Y-%m-%d')::date as enc_date,
           coalesce(epoch(p_end - p_start),
                    epoch(try_cast(period_end as timestamptz) - try_cast(period_start as timestamptz))) as seconds,
           cpt
    from fhir_encounters
    where reason is null
),

patients_ref as (  -- each distinct reference resolved once
    select r.patient_ref, ip.id as patient_key
    from (select distinct patient_ref from e) as r
    join fhir_ids as ip on ip.rtype = 'Patient' and ip.key = fhir_ref_key(r.patient_ref) and ip.ids = 1
     and coalesce(fhir_ref_type(r.patient_ref), 'Patient') = 'Patient'
),

conditions_ref as (
    select r.condition_ref, ic.id as condition_key, c.code.coding as coding
    from (select distinct condition_ref from e where reason_coding is null) as r
    join fhir_ids as ic on ic.rtype = 'Condition' and ic.key = fhir_ref_key(r.condition_ref) and ic.ids = 1
     and coalesce(fhir_ref_type(r.condition_ref), 'Condition') = 'Condition'
    join (select id, any_value(code) as code from fhir_condition_lines
          where resourceType = 'Condition'
            and not coalesce(list_contains(list_transform(verificationStatus.coding, lambda v: v.code), 'entered-in-error'), false)
          group by id) as c on c.id = ic.id
),

others_ref as (  -- Organization, Practitioner, EpisodeOfCare: ids to pseudonymise, resolved when the export has them
    select r.kind, r.ref,
           coalesce(i.id, case when fhir_ref_type(r.ref) = r.kind and fhir_ref_key(r.ref) like 'id:%'
                               then substr(fhir_ref_key(r.ref), 4) end) as id
    from (select distinct 'Organization' as kind, org_ref as ref from e where org_ref is not null
          union select distinct 'Practitioner', prac_ref from e where prac_ref is not null
          union select distinct 'EpisodeOfCare', episode_ref from e where episode_ref is not null) as r
    left join fhir_ids as i on i.rtype = r.kind and i.key = fhir_ref_key(r.ref) and i.ids = 1
),

resolved as (
    select e.*, ip.patient_key, ic.condition_key, io.id as org_id, ipr.id as prac_id,
           case when iep.id is not null then 'EpisodeOfCare/' || iep.id else e.episode_ref end as episode_text,
           case when e.reason_coding is not null then e.reason_coding else ic.coding end as coding
    from e
    left join patients_ref as ip on ip.patient_ref = e.patient_ref
    left join conditions_ref as ic on ic.condition_ref = e.condition_ref and e.reason_coding is null
    left join others_ref as io on io.kind = 'Organization' and io.ref = e.org_ref
    left join others_ref as ipr on ipr.kind = 'Practitioner' and ipr.ref = e.prac_ref
    left join others_ref as iep on iep.kind = 'EpisodeOfCare' and iep.ref = e.episode_ref
),

mapped as (
    select r.*, pt.gender, try_strptime(pt.birthDate, '%Y-%m-%d')::date as birth,
           'Patient/' || r.patient_key as patient_text,
           case when r.prac_id is not null then 'Practitioner/' || r.prac_id else r.prac_ref end as therapist_text,
           case when $clinic_id is null and not coalesce(regexp_full_match(r.org_id, $clinic_id_pattern), false)
                then coalesce('Organization/' || r.org_id, r.org_ref) end as clinic_text,
           date_diff('day', date '1970-01-01', r.enc_date) as enc_day,
           list_filter(r.coding, lambda c: c.system = $icd_system)[1].code as icd,
           list_filter(r.coding, lambda c: c.system = $snomed_system)[1].code as sct
    from resolved as r
    left join (select id, any_value(gender) as gender, any_value(birthDate) as birthDate
               from fhir_patient_lines where resourceType = 'Patient' group by id) as pt on pt.id = r.patient_key
),

pseudonyms as (
    select t, fhir_pseudonym(t) as p
    from (select therapist_text as t from mapped union select episode_text from mapped
          union select clinic_text from mapped)
    where t is not null
),

patients as (
    select x.patient_text, x.patient_id, x.first_in_batch,
           a.anchor_keyed - ('0x' || left(fhir_pseudonym('anchor/' || x.patient_id), 5))::integer as first_before
    from (select patient_text, fhir_pseudonym(patient_text) as patient_id, min(enc_day) as first_in_batch
          from mapped where patient_text is not null group by patient_text) as x
    left join audit.fhir_anchors as a on a.patient_id = x.patient_id
)

select
    m._line, m.id, m.patient_key, m.condition_key, m.org_id, m.prac_id, m.enc_day,
    coalesce($clinic_id, case when regexp_full_match(m.org_id, $clinic_id_pattern) then m.org_id end, pc.p) as clinic_id,
    pa.patient_id,
    fhir_pseudonym('Encounter/' || m.id) as session_id,
    pe.p as episode_id,
    (m.enc_day - coalesce(pa.first_before, pa.first_in_batch))::varchar as session_day,
    year(m.enc_date)::varchar as session_year,
    coalesce(m.icd, s.icd10cm_code, 'SCT:' || m.sct) as condition_code,
    round(m.seconds / 60)::bigint::varchar as duration_min,
    pt.p as therapist_id,
    m.cpt as cpt_code,
    case when age >= 90 then '90+' when age >= 65 then '65-89' when age >= 45 then '45-64'
         when age >= 30 then '30-44' when age >= 18 then '18-29' end as age_band,
    case m.gender when 'female' then 'F' when 'male' then 'M' when 'other' then 'X' when 'unknown' then 'U' end as sex,
    case when m.patient_key is null then 'its subject is not a Patient of the export'
         when m.reason_coding is null and m.condition_ref is null then 'it gives no reason (reasonCode or reasonReference)'
         when m.reason_coding is null and m.condition_key is null then 'its reasonReference is not a Condition of the export'
         when m.icd is null and m.sct is null then 'its reason has neither an ICD-10-CM nor a SNOMED CT coding'
         when m.icd is null and s.icd10cm_code is null then 'its reason is a SNOMED CT code outside the project''s table'
         when m.seconds is null then 'neither its massage Procedure nor it has a period: no duration'
         when m.enc_date is null then 'it has no period.start: no session day' end as note
from (select *, year(enc_date) - year(birth)
               - case when month(enc_date) * 100 + day(enc_date) < month(birth) * 100 + day(birth) then 1 else 0 end as age
      from mapped) as m
left join patients as pa on pa.patient_text = m.patient_text
left join pseudonyms as pe on pe.t = m.episode_text
left join pseudonyms as pt on pt.t = m.therapist_text
left join pseudonyms as pc on pc.t = m.clinic_text
left join fhir_snomed as s on s.snomed_code = m.sct and m.icd is null
