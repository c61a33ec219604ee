-- Every clinic with episodes: a full build of intermediate.int_episode_outcomes builds them all.
select distinct clinic_id
from intermediate.int_episodes
order by clinic_id
