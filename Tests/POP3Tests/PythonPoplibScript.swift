/// A Python `poplib` client driven by a comma-separated action list; prints one JSON object.
/// XOAUTH2 goes through `_shortcmd`/`_putcmd` as `shared/peer-lab/clients/py-poplib.py` does
/// (poplib has no SASL helper).
let poplibScript = #"""
    import base64, json, poplib, ssl, sys
    mode, host, port, cafile, user, token, actions = sys.argv[1:8]
    port = int(port)
    ctx = ssl.create_default_context(cafile=cafile)
    out = {"steps": []}

    def connect():
        if mode == "pop3s":
            return poplib.POP3_SSL(host, port, context=ctx, timeout=20)
        p = poplib.POP3(host, port, timeout=20)
        out["capa_before_tls"] = sorted(k + ("" if not v else " " + " ".join(v)) for k, v in p.capa().items())
        p.stls(context=ctx)
        return p

    def ir(tok):
        return base64.b64encode(("user=%s\x01auth=Bearer %s\x01\x01" % (user, tok)).encode()).decode()

    def text(x):
        return x.decode() if isinstance(x, bytes) else x

    P = connect()
    out["welcome"] = text(P.getwelcome())
    for action in actions.split(","):
        try:
            if action == "capa":
                r = sorted(k + ("" if not v else " " + " ".join(v)) for k, v in P.capa().items())
            elif action == "auth2":
                first = text(P._shortcmd("AUTH XOAUTH2"))
                r = [first, text(P._shortcmd(ir(token)))]
            elif action == "auth1":
                r = text(P._shortcmd("AUTH XOAUTH2 " + ir(token)))
            elif action == "userpass":
                r = [text(P.user(user)), text(P.pass_(token))]
            elif action == "stat":
                r = list(P.stat())
            elif action == "list":
                resp, lines, _ = P.list()
                r = [text(resp)] + [text(l) for l in lines]
            elif action == "uidl":
                resp, lines, _ = P.uidl()
                r = [text(l) for l in lines]
            elif action.startswith("retr"):
                resp, lines, octets = P.retr(int(action[4:]))
                r = "\r\n".join(text(l) for l in lines) + "\r\n"
            elif action.startswith("top"):
                resp, lines, octets = P.top(int(action[3:]), 0)
                r = "\r\n".join(text(l) for l in lines) + "\r\n"
            elif action.startswith("dele"):
                r = text(P.dele(int(action[4:])))
            elif action == "rset":
                r = text(P.rset())
            elif action == "second":
                Q = connect()
                try:
                    r = text(Q._shortcmd("AUTH XOAUTH2 " + ir(token)))
                except poplib.error_proto as e:
                    r = "ERROR " + text(e.args[0])
                Q.sock.close()
            elif action == "quit":
                r = text(P.quit())
            elif action == "drop":
                P.sock.close()
                r = "dropped"
            else:
                r = "unknown action " + action
        except poplib.error_proto as e:
            r = "ERROR " + text(e.args[0])
        out["steps"].append([action, r])
    print(json.dumps(out))
    """#
