"""The console records (issue 23): transcripts, the customer card, tickets."""
