-- Record the fingerprint of the network key at its first use by this warehouse.
insert into audit.network_key values ($fingerprint, $first_used_at)
