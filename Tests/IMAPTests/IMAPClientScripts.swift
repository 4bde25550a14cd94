import ExomockTestSupport

// Client programs the real-client tests write into a temp directory and run.

/// Python imaplib: AUTHENTICATE XOAUTH2 (two-step, `+ ` continuation), EXAMINE INBOX, FETCH 1 BODY.PEEK[].
/// Wire lines go to stderr (imaplib debug 4). Exit 0: fetched; 1: authentication refused; 3: mailbox refused.
let pythonImaplibScript = #"""
    import imaplib, ssl, sys
    host, port, cafile, user, token, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
    ctx = ssl.create_default_context(cafile=cafile)
    if mode == "starttls":
        M = imaplib.IMAP4(host, port)
        M.debug = 4
        M.starttls(ssl_context=ctx)
    else:
        M = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
        M.debug = 4
    auth = ("user=%s\x01auth=Bearer %s\x01\x01" % (user, token)).encode()
    try:
        M.authenticate("XOAUTH2", lambda _: auth)
    except imaplib.IMAP4.error as e:
        print("AUTH-REFUSED", e)
        sys.exit(1)
    try:
        typ, data = M.select("INBOX", readonly=True)
    except imaplib.IMAP4.error as e:
        print("SELECT-REFUSED", e)
        sys.exit(3)
    typ, data = M.fetch("1", "(BODY.PEEK[] RFC822.SIZE)")
    body = data[0][1]
    print("FETCHED", len(body))
    print(body.decode("utf-8", "replace").split("\r\n")[0])
    M.logout()
    """#

/// imapclient 4: oauth2_login, EXAMINE (select_folder readonly), UID SEARCH ALL, UID FETCH.
let pythonImapclientScript = #"""
    import ssl, sys
    from imapclient import IMAPClient
    from imapclient.exceptions import LoginError, IMAPClientError
    host, port, cafile, user, token = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    ctx = ssl.create_default_context(cafile=cafile)
    c = IMAPClient(host, port=port, ssl=True, ssl_context=ctx, timeout=30)
    try:
        print("LOGIN", c.oauth2_login(user, token))
    except LoginError as e:
        print("AUTH-REFUSED", e)
        sys.exit(1)
    try:
        info = c.select_folder("INBOX", readonly=True)
    except IMAPClientError as e:
        print("SELECT-REFUSED", e)
        sys.exit(3)
    print("EXISTS", info[b"EXISTS"], "UIDVALIDITY", info[b"UIDVALIDITY"])
    uids = c.search("ALL")
    data = c.fetch(uids[:1], ["BODY.PEEK[]", "RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE"])
    for uid, d in data.items():
        print("FETCHED", uid, len(d[b"BODY[]"]), d[b"RFC822.SIZE"], d[b"ENVELOPE"].subject.decode())
    c.logout()
    """#

/// Jakarta Mail 2: XOAUTH2 with SASL-IR (token as password), EXAMINE (READ_ONLY), 16 KiB partial fetches.
let jakartaProgram = #"""
    import jakarta.mail.*;
    import java.io.*;
    import java.security.KeyStore;
    import java.security.cert.*;
    import java.util.*;
    import javax.net.ssl.*;

    public class IMAPFetch {
    \#(JakartaMail.trustOnlyMethod)

        public static void main(String[] a) throws Exception {
            String host = a[0]; int port = Integer.parseInt(a[1]); String ca = a[2]; String user = a[3]; String token = a[4];
            Properties p = new Properties();
            p.put("mail.imaps.auth.mechanisms", "XOAUTH2");
            p.put("mail.imaps.sasl.enable", "false");
            p.put("mail.imaps.ssl.socketFactory", trustOnly(ca));
            p.put("mail.imaps.ssl.checkserveridentity", "true");
            p.put("mail.imaps.socketFactory.fallback", "false");
            p.put("mail.imaps.partialfetch", "true");
            p.put("mail.imaps.fetchsize", "16384");
            p.put("mail.imaps.connectiontimeout", "20000");
            p.put("mail.imaps.timeout", "20000");
            p.put("mail.debug.auth", "true");
            Session session = Session.getInstance(p);
            session.setDebugOut(System.err);
            session.setDebug(true);
            Store store = session.getStore("imaps");
            try {
                store.connect(host, port, user, token);
            } catch (AuthenticationFailedException e) {
                System.out.println("AUTH-REFUSED " + e.getMessage());
                System.exit(1);
            }
            try {
                Folder inbox = store.getFolder("INBOX");
                inbox.open(Folder.READ_ONLY);
                Message m = inbox.getMessage(1);
                ByteArrayOutputStream bos = new ByteArrayOutputStream();
                m.writeTo(bos);
                System.out.println("FETCHED " + bos.size() + " " + m.getSubject() + " of " + inbox.getMessageCount());
                inbox.close(false);
                store.close();
            } catch (MessagingException e) {
                System.out.println("SELECT-REFUSED " + e.getMessage());
                System.exit(3);
            }
        }
    }
    """#

/// A raw TLS client (Python ssl socket): XOAUTH2, SELECT INBOX, IDLE until `* n EXISTS`, DONE, writes the
/// marker file, then waits for the server's shutdown BYE. Prints every server line.
let pythonIdleScript = #"""
    import socket, ssl, sys, base64, time
    host, port, cafile, user, token, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
    ctx = ssl.create_default_context(cafile=cafile)
    s = ctx.wrap_socket(socket.create_connection((host, port), timeout=20), server_hostname="localhost")
    f = s.makefile("rb")
    def line():
        l = f.readline().decode().rstrip("\r\n")
        print("S:", l, flush=True)
        if not l: sys.exit(2)
        return l
    def until(prefix):
        while True:
            l = line()
            if l.startswith(prefix): return l
    line()
    ir = base64.b64encode(("user=%s\x01auth=Bearer %s\x01\x01" % (user, token)).encode()).decode()
    s.sendall(("a AUTHENTICATE XOAUTH2 %s\r\n" % ir).encode()); until("a ")
    s.sendall(b"b SELECT INBOX\r\n"); until("b ")
    s.sendall(b"c IDLE\r\n"); until("+ ")
    until("* 4 EXISTS")
    s.sendall(b"DONE\r\n"); until("c OK")
    open(marker, "w").write("done")
    until("* BYE")
    print("GOT-BYE")
    """#
