import ExomockTestSupport

// The client programs of the real-client SMTP tests.

/// Python smtplib: EHLO, STARTTLS (trusting only the test CA), EHLO, AUTH XOAUTH2 (`one`: initial
/// response on the AUTH line; `two`: `AUTH XOAUTH2`, `334 `, response), sendmail. Prints `SENT <reply>`, or
/// `ERROR <code> <text>` with the server's reply, and the EHLO lists as `EHLO1`/`EHLO2` lines.
let smtplibScript = #"""
    import smtplib, ssl, sys, base64
    host, port, cafile, user, token, sender, rcpt, subject, form = sys.argv[1:10]
    ctx = ssl.create_default_context(cafile=cafile)
    s = smtplib.SMTP(host, int(port), timeout=30)
    try:
        code, text = s.ehlo()
        print("EHLO1", text.decode().replace("\n", "|"))
        s.starttls(context=ctx)
        code, text = s.ehlo()
        print("EHLO2", text.decode().replace("\n", "|"))
        auth = "user=%s\x01auth=Bearer %s\x01\x01" % (user, token)
        code, text = s.auth("XOAUTH2", lambda challenge=None: auth, initial_response_ok=(form == "one"))
        print("AUTH", code, text.decode())
        message = "From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nSent by smtplib.\r\n.leading dot\r\n" % (sender, rcpt, subject)
        s.sendmail(sender, [rcpt], message)
        print("SENT")
        s.quit()
    except smtplib.SMTPResponseException as e:
        print("ERROR", e.smtp_code, e.smtp_error.decode())
    """#

/// Jakarta Mail 2 (`jakarta.mail`), as a Java mail handler sends: STARTTLS required, the test CA as the only
/// trust, `mail.smtp.auth.mechanisms=XOAUTH2`, the token as the password. Prints `SENT` or `ERROR <message>`.
let jakartaSMTPSource = #"""
    import jakarta.mail.*;
    import jakarta.mail.internet.*;
    import java.io.*;
    import java.security.KeyStore;
    import java.security.cert.*;
    import java.util.Properties;
    import javax.net.ssl.*;

    public class SMTPSend {
    \#(JakartaMail.trustOnlyMethod)
        public static void main(String[] a) throws Exception {
            String host = a[0], port = a[1], ca = a[2], user = a[3], token = a[4], from = a[5], to = a[6], subject = a[7];
            Properties p = new Properties();
            p.put("mail.smtp.host", host);
            p.put("mail.smtp.port", port);
            p.put("mail.smtp.auth", "true");
            p.put("mail.smtp.starttls.enable", "true");
            p.put("mail.smtp.starttls.required", "true");
            p.put("mail.smtp.auth.mechanisms", "XOAUTH2");
            p.put("mail.smtp.ssl.socketFactory", trustOnly(ca));
            p.put("mail.smtp.connectiontimeout", "20000");
            p.put("mail.smtp.timeout", "20000");
            Session session = Session.getInstance(p);
            MimeMessage m = new MimeMessage(session);
            m.setFrom(new InternetAddress(from));
            m.setRecipients(Message.RecipientType.TO, to);
            m.setSubject(subject);
            m.setText("Sent by Jakarta Mail.\n.leading dot\n");
            Transport t = session.getTransport("smtp");
            try {
                t.connect(host, Integer.parseInt(port), user, token);
                t.sendMessage(m, m.getAllRecipients());
                System.out.println("SENT");
            } catch (MessagingException e) {
                System.out.println("ERROR " + e.getMessage().trim());
            } finally {
                try { t.close(); } catch (Exception ignored) {}
            }
        }
    }
    """#
