-- The sessions of a FHIR batch (contract section 1): one row per mapped Encounter, in file order, every
-- id a keyed pseudonym, no date (session_day counts from the patient's first massage encounter in the
-- network's data: audit.fhir_anchors, else this batch), and a note in plain words when a field could not
-- be mapped (the staging rules then quarantine the row with their reason code).
create or replace temp table fhir_sessions as
with e as (
    select _line, id, subject.reference as patient_ref, serviceProvider.reference as org_ref,
           episodeOfCare[1].reference as episode_ref,
           list_filter(participant, lambda x: fhir_ref_type(x.individual.reference) = 'Practitioner'
                       or x.individual.reference like 'urn:%')[1].individual.reference as prac_ref,
           reasonCode[1].coding as reason_coding, reasonReference[1].reference as condition_ref,
           try_strptime(left(period."start", 10), '%Y-%m-%d')::date as enc_date,
           coalesce(epoch(p_end - p_start),
                    epoch(try_cast(period."end" as timestamptz) - try_cast(period."start" as timestamptz))) as seconds,
           cpt
    from fhir_encounters
    where reason is null
),

resolved as (
    select e.*, ip.id as patient_key, ic.id as condition_key, io.id as org_key, ipr.id as prac_key,
           fhir_ref_key(e.org_ref) as org_ref_key, fhir_ref_key(e.prac_ref) as prac_ref_key,
           fhir_ref_key(e.episode_ref) as episode_ref_key,
           case when e.reason_coding is not null then e.reason_coding else c.code.coding end as coding
    from e
    left join fhir_ids as ip on ip.rtype = 'Patient' and ip.key = fhir_ref_key(e.patient_ref) and ip.ids = 1
     and coalesce(fhir_ref_type(e.patient_ref), 'Patient') = 'Patient'
    left join fhir_ids as ic on ic.rtype = 'Condition' and ic.key = fhir_ref_key(e.condition_ref) and ic.ids = 1
     and coalesce(fhir_ref_type(e.condition_ref), 'Condition') = 'Condition' and e.reason_coding is null
    left join (select id, any_value(code) as code from fhir_condition_lines
               where resourceType = 'Condition'
                 and not coalesce(list_contains(list_transform(verificationStatus.coding, lambda v: v.code), 'entered-in-error'), false)
               group by id) as c on c.id = ic.id
    left join fhir_ids as io on io.rtype = 'Organization' and io.key = fhir_ref_key(e.org_ref) and io.ids = 1
    left join fhir_ids as ipr on ipr.rtype = 'Practitioner' and ipr.key = fhir_ref_key(e.prac_ref) and ipr.ids = 1
),

mapped as (
    select r.*, pt.gender, try_strptime(pt.birthDate, '%Y-%m-%d')::date as birth,
           fhir_pseudonym('Patient/' || r.patient_key) as patient_id,
           date_diff('day', date '1970-01-01', r.enc_date) as enc_day,
           list_filter(r.coding, lambda c: c.system = $icd_system)[1].code as icd,
           list_filter(r.coding, lambda c: c.system = $snomed_system)[1].code as sct,
           coalesce(r.org_key, case when fhir_ref_type(r.org_ref) = 'Organization' and r.org_ref_key like 'id:%'
                                    then substr(r.org_ref_key, 4) end) as org_id,
           coalesce(r.prac_key, case when fhir_ref_type(r.prac_ref) = 'Practitioner' and r.prac_ref_key like 'id:%'
                                     then substr(r.prac_ref_key, 4) end) as prac_id
    from resolved as r
    left join (select id, any_value(gender) as gender, any_value(birthDate) as birthDate
               from fhir_patient_lines where resourceType = 'Patient' group by id) as pt on pt.id = r.patient_key
),

anchored as (
    select m.*, s.icd10cm_code as sct_icd,
           coalesce(a.anchor_keyed - ('0x' || left(fhir_pseudonym('anchor/' || m.patient_id), 5))::integer,
                    min(m.enc_day) over (partition by m.patient_id)) as first_day,
           year(m.enc_date) - year(m.birth)
             - case when month(m.enc_date) * 100 + day(m.enc_date) < month(m.birth) * 100 + day(m.birth) then 1 else 0 end as age
    from mapped as m
    left join fhir_snomed as s on s.snomed_code = m.sct and m.icd is null
    left join audit.fhir_anchors as a on a.patient_id = m.patient_id
)

select
    _line, id, patient_key, condition_key, org_id, prac_id, enc_day,
    coalesce($clinic_id, case when regexp_full_match(org_id, $clinic_id_pattern) then org_id
                              when org_ref is not null then fhir_pseudonym(coalesce('Organization/' || org_id, org_ref)) end) as clinic_id,
    patient_id,
    fhir_pseudonym('Encounter/' || id) as session_id,
    fhir_pseudonym(case when episode_ref_key like 'id:%' and coalesce(fhir_ref_type(episode_ref), 'EpisodeOfCare') = 'EpisodeOfCare'
                        then 'EpisodeOfCare/' || substr(episode_ref_key, 4) else episode_ref end) as episode_id,
    (enc_day - first_day)::varchar as session_day,
    year(enc_date)::varchar as session_year,
    coalesce(icd, sct_icd, 'SCT:' || sct) as condition_code,
    round(seconds / 60)::bigint::varchar as duration_min,
    fhir_pseudonym(case when prac_id is not null then 'Practitioner/' || prac_id else prac_ref end) as therapist_id,
    cpt as cpt_code,
    case when age >= 90 then '90+' when age >= 65 then '65-89' when age >= 45 then '45-64'
         when age >= 30 then '30-44' when age >= 18 then '18-29' end as age_band,
    case gender when 'female' then 'F' when 'male' then 'M' when 'other' then 'X' when 'unknown' then 'U' end as sex,
    case when patient_key is null then 'its subject is not a Patient of the export'
         when reason_coding is null and condition_ref is null then 'it gives no reason (reasonCode or reasonReference)'
         when reason_coding is null and condition_key is null then 'its reasonReference is not a Condition of the export'
         when icd is null and sct is null then 'its reason has neither an ICD-10-CM nor a SNOMED CT coding'
         when icd is null and sct_icd is null then 'its reason is a SNOMED CT code outside the project''s table'
         when seconds is null then 'neither its massage Procedure nor it has a period: no duration'
         when enc_date is null then 'it has no period.start: no session day' end as note
from anchored
