"""`/1c/exchange`: the HTTP exchange every standard 1C / BAS configuration speaks with a
website (the 1C-Bitrix protocol, CommerceML 2).

    GET  ?type=catalog&mode=checkauth          HTTP Basic -> success / cookie name / value
    GET  ?type=catalog&mode=init               zip=yes|no / file_limit=<bytes>
    POST ?type=catalog&mode=file&filename=...  body appended to the file -> success
    GET  ?type=catalog&mode=import&filename=.. progress (archives unpacked) / success / failure
    GET  ?type=sale&mode=query                 the orders not yet taken, as CommerceML
    GET  ?type=sale&mode=success               the orders of that query are taken
    POST ?type=sale&mode=file&filename=...     1C's orders back: their statuses applied
"""
