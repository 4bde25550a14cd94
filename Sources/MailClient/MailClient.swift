// Client-side IMAP and POP3 sessions.
