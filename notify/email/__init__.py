"""The e-mail channel: messages built with the stdlib `email` package, sent over SMTP
(`sender.SmtpSender`) to any relay, or to the local mailbox emulator in the demo and tests."""
