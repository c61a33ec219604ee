-- Remember each new patient's first massage day (keyed offset, no date) so later batches count from it.
insert into audit.fhir_anchors
select patient_id, (min(enc_day) + ('0x' || left(fhir_pseudonym('anchor/' || patient_id), 5))::integer)::integer
from fhir_sessions
where patient_id is not null and enc_day is not null
  and patient_id not in (select patient_id from audit.fhir_anchors)
group by patient_id
