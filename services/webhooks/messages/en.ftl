# The webhooks service's messages, in English.

no-such-subscription = there is no such webhook subscription: check its id in GET /api/v1/webhooks
name-the-kinds = name at least one kind of event to deliver
not-a-kind = { $kind } is not a kind of event: use { $kinds }
not-a-site = { $site } is not a site id
your-sites-only = name the sites to deliver events of (site_ids): your own sites only
personal-needs-admin = only an administrator may subscribe to residents' details
say-why-personal = say why the receiver needs residents' details (personal_reason, at least 10 characters): the choice is recorded
url-https = { $url } cannot receive deliveries: give an https:// address (http:// only on this machine)
changed-meanwhile = the subscription changed meanwhile: read it again and retry
paused-by-its-owner = paused by its owner
paused-after-a-day = paused: the receiver failed for a day ({ $error }); resume it once it answers again
