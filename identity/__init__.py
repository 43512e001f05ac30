"""Who people are: sign-in through providers, rosters from the sector database, API tokens."""
