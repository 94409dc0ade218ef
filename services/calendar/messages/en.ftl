# The calendar service's messages, in English.

someone-else-changed-this-meanwhile = someone else changed this meanwhile: reload it, check their change, and make yours again
there-is-no-site = there is no site { $id }
is-not-closure-id = { $closure } is not a closure id
is-not-reason-use-procedure = { $name } is not a reason: use procedure_caf, procedure_prefecture, smartphone, computer, email…
capacity-of-0-lets-nobody = a capacity of 0 lets nobody in: give the most people at once, or leave it out for no limit
is-not-rule-id = { $raw } is not a rule id
site-has-no-permanence-rule = site { $site } has no permanence rule { $id }
this-calendar-link-is-not = this calendar link is not valid: copy it again from Créneau (Mon agenda)
give-characters-at-most = give { $max } characters at most{ $field }
is-not-phone-number-write = { $phone } is not a phone number: write it as 01 23 45 67 89
give-1-to-10-or = { $n }: give 1 to 10 (or leave it out for 1)
closure-ends-before-it-starts = the closure ends before it starts: last_day must be on or after first_day
closure-lasts-year-at-most = a closure lasts a year at most: close the site instead (open: false)
say-why-in-200-characters = say why, in 200 characters at most (residents see it)
site-has-no-closure = site { $id } has no closure { $closure }
this-overlaps-permanence-of-at = this overlaps the permanence { $label } of { $start } at the same site: change the time or the days
there-is-no-site-2 = there is no site { $site }
rule-stays-at-its-site = a rule stays at its site: retire it and create one at the other site
rule-has-no-permanence-on = the rule { $label } has no permanence on { $day }
is-not-on-duty-on = { $staff } is not on duty on { $day }
partner-name-too-long = "{ $name }": a partner is named in 100 characters at most, on one line
at-most-30-partners = a site lists 30 partners at most
workshop-theme-unknown = there is no such theme: give a reason's code, e.g. "smartphone", "email" or "introduction"
workshop-level-unknown = there is no such level: "beginner", "intermediate" or "all"
workshop-language-unknown = this language is not offered: "fr", "en" or "ar"
