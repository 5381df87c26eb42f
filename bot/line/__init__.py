"""Everything that talks to LINE: the client, message builders, transports, the messenger and
the outbox dispatcher. The only package that imports linebot.v3.messaging."""
