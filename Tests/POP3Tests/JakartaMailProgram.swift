import ExomockTestSupport

/// A Jakarta Mail 2 (Debian `libjakarta-mail-java`) POP3 client, compiled with javac at test time.
/// `java -cp DIR:jars Pop3Check HOST PORT CAFILE USER TOKEN read|delete`
/// Prints `COUNT n`, `BYTES n`, `SUBJECT s` or `AUTHFAIL <message>` (exit 1); the protocol trace
/// (mail.debug) goes to stderr.
let jakartaProgram = #"""
    import jakarta.mail.*;
    import java.io.*;
    import java.security.KeyStore;
    import java.security.cert.*;
    import java.util.*;
    import javax.net.ssl.*;

    public class Pop3Check {
    \#(JakartaMail.trustOnlyMethod)

        public static void main(String[] a) throws Exception {
            String host = a[0]; int port = Integer.parseInt(a[1]); String ca = a[2]; String user = a[3]; String token = a[4];
            String action = a[5];
            String proto = "pop3s";
            Properties p = new Properties();
            p.put("mail.store.protocol", proto);
            p.put("mail.pop3s.host", host);
            p.put("mail.pop3s.port", String.valueOf(port));
            p.put("mail.pop3s.auth.mechanisms", "XOAUTH2");
            p.put("mail.pop3s.ssl.enable", "true");
            p.put("mail.pop3s.ssl.checkserveridentity", "true");
            p.put("mail.pop3s.ssl.socketFactory", trustOnly(ca));
            p.put("mail.pop3s.socketFactory.fallback", "false");
            p.put("mail.pop3s.connectiontimeout", "20000");
            p.put("mail.pop3s.timeout", "20000");
            p.put("mail.debug.auth", "true");
            Session session = Session.getInstance(p);
            session.setDebugOut(System.err);
            session.setDebug(true);
            Store store = session.getStore(proto);
            try {
                store.connect(host, port, user, token);
                Folder inbox = store.getFolder("INBOX");
                boolean delete = action.equals("delete");
                inbox.open(delete ? Folder.READ_WRITE : Folder.READ_ONLY);
                System.out.println("COUNT " + inbox.getMessageCount());
                Message m = inbox.getMessage(1);
                ByteArrayOutputStream bos = new ByteArrayOutputStream();
                m.writeTo(bos);
                System.out.println("BYTES " + bos.size());
                System.out.println("SUBJECT " + m.getSubject());
                if (delete) m.setFlag(Flags.Flag.DELETED, true);
                inbox.close(delete);
                store.close();
            } catch (AuthenticationFailedException e) {
                System.out.println("AUTHFAIL " + e.getMessage());
                System.exit(1);
            } catch (MessagingException e) {
                System.out.println("FAIL " + e);
                System.exit(2);
            }
        }
    }
    """#
