"""Sessions of the four kinds of C53 Art. 19, recurrence, invitations, attendance, iCalendar."""
