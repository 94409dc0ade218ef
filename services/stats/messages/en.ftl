# The stats service's messages, in English.

is-not-date-write-2019 = { $text } is not a date: write 2019-01-31
group-by-permanence-site-week = { $b }: group by permanence, site, week, month or year
there-is-no-site = there is no site { $raw }
there-is-no-chart-people = there is no chart { $other }: people, kinds, waits or no-shows
period-ends-before-it-starts = the period ends before it starts: to must be on or after from
rebuilding = the statistics are being brought up to date: { $folded } of { $head } events read; try again in a moment

# The coordinators' charts.
chart-people = people
chart-requests = requests
chart-absent = did not come
chart-people-title = People and requests per permanence
chart-kinds-title = Requests by kind
chart-no-data = No data for this period
chart-waits-title = Drop-in wait (arrival → call)
chart-no-shows-title = Missed appointments (%)
chart-with-reminder = with a reminder received
chart-without-reminder = without a reminder received
chart-wait-between = { $low }–{ $high } min
chart-wait-over = over { $low } min
chart-kind = { $kind ->
    [online_procedure] An online procedure
    [smartphone] Smartphone
    [computer] Computer
    [email] Email
    [printing] Print, copy, scan
    [personal_documents] Scan and send my papers
    [introduction] Get started with digital
   *[other] Something else
}
