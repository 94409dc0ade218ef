# The contracts crate's messages, in English.

not-an-email = { $value } is not an email address: write it as name@example.fr
phone-empty = the phone number is empty: type a mobile number such as 06 12 34 56 78
not-a-phone-number = { $value } is not a phone number: type a mobile number such as 06 12 34 56 78
not-a-mobile-number = { $value } is not a mobile number: text messages need a mobile (06, 07, or +… abroad)
time-skipped = { $time } does not exist in Paris (the clocks go forward that night): choose another time
time-twice = { $time } happens twice in Paris (the clocks go back that night): choose another time
not-a-role = { $value } is not a role: use reception, mediator, it_helper, coordinator or admin
