import EntraTokens
import Foundation

/// The HTML pages of the login flow. Plain, self-contained pages (no scripts except form_post's
/// auto-submit), with Microsoft's field names (`loginfmt`, `passwd`) so browser automation written
/// against the real page finds the same inputs.
enum Pages {
    /// Form fields exomock's own pages add; everything else in a posted form is the authorize request.
    static let controlFields: Set<String> = [
        "loginfmt", "passwd", "exomock_action", "account", "pending", "accept", "otc",
    ]

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(HTML.escape(title))</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>body{font-family:Segoe UI,Helvetica,Arial,sans-serif;background:#f2f2f2}main{max-width:440px;margin:60px auto;background:#fff;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}input[type=text],input[type=email],input[type=password]{width:100%;padding:6px;margin:8px 0;box-sizing:border-box}button{background:#0067b8;color:#fff;border:0;padding:8px 24px;margin:8px 8px 0 0}.error{color:#e81123}.tile{display:block;width:100%;text-align:left;background:#fff;color:#000;border:1px solid #ccc}small{color:#666}</style>
        </head><body><main>
        <div><strong>Microsoft</strong> <small>(exomock)</small></div>
        \(body)
        </main></body></html>
        """
    }

    static func hidden(_ parameters: [String: String]) -> String {
        parameters.sorted { $0.key < $1.key }
            .map { "<input type=\"hidden\" name=\"\(HTML.escape($0.key))\" value=\"\(HTML.escape($0.value))\">" }
            .joined(separator: "\n")
    }

    static func signIn(action: String, context: AuthorizeContext, loginHint: String?, problem: String?) -> String {
        page(
            title: "Sign in to your account",
            body: """
                <h1>Sign in</h1>
                <p>to continue to \(HTML.escape(context.appName))</p>
                \(problem.map { "<p class=\"error\" id=\"passwordError\">\(HTML.escape($0))</p>" } ?? "")
                <form method="post" action="\(HTML.escape(action))" id="signin">
                \(hidden(context.parameters))
                <input type="hidden" name="exomock_action" value="signin">
                <input type="email" name="loginfmt" id="i0116" placeholder="Email, phone, or Skype" value="\(HTML.escape(loginHint ?? ""))">
                <input type="password" name="passwd" id="i0118" placeholder="Password">
                <button type="submit" id="idSIButton9">Sign in</button>
                </form>
                """)
    }

    static func pickAccount(action: String, context: AuthorizeContext, accounts: [String]) -> String {
        let tiles = accounts.map { upn in
            """
            <form method="post" action="\(HTML.escape(action))">
            \(hidden(context.parameters))
            <input type="hidden" name="exomock_action" value="pick">
            <input type="hidden" name="account" value="\(HTML.escape(upn))">
            <button type="submit" class="tile" data-test-id="\(HTML.escape(upn))">\(HTML.escape(upn))<br><small>Signed in</small></button>
            </form>
            """
        }.joined(separator: "\n")
        return page(
            title: "Sign in to your account",
            body: """
                <h1>Pick an account</h1>
                \(tiles)
                <form method="post" action="\(HTML.escape(action))">
                \(hidden(context.parameters))
                <input type="hidden" name="exomock_action" value="another">
                <button type="submit" class="tile" id="otherTile">Use another account</button>
                </form>
                """)
    }

    static func consent(action: String, context: AuthorizeContext, pendingID: String, upn: String) -> String {
        let permissions = context.scopes.permissions.map { "<li>\(HTML.escape($0))</li>" }.joined()
        return page(
            title: "Permissions requested",
            body: """
                <h1>Permissions requested</h1>
                <p>\(HTML.escape(upn))</p>
                <p><strong>\(HTML.escape(context.appName))</strong> needs permission to:</p>
                <ul>\(permissions)<li>Maintain access to data you have given it access to</li></ul>
                <form method="post" action="\(HTML.escape(action))">
                <input type="hidden" name="exomock_action" value="consent">
                <input type="hidden" name="pending" value="\(HTML.escape(pendingID))">
                <button type="submit" name="accept" value="yes" id="idSIButton9">Accept</button>
                <button type="submit" name="accept" value="no" id="idBtn_Back">Cancel</button>
                </form>
                """)
    }

    static func error(_ error: EntraError, traceID: String, correlationID: String, timestamp: String) -> String {
        page(
            title: "Sign in to your account",
            body: """
                <h1>Sign in</h1>
                <p class="error" id="errorMessage">Sorry, but we're having trouble signing you in.</p>
                <p id="errorCode">\(HTML.escape(error.message))</p>
                <p><small>Request Id: \(traceID)<br>Correlation Id: \(correlationID)<br>Timestamp: \(timestamp)</small></p>
                """)
    }

    static func formPost(redirectURI: String, fields: [(String, String)]) -> String {
        let inputs = fields.map {
            "<input type=\"hidden\" name=\"\(HTML.escape($0.0))\" value=\"\(HTML.escape($0.1))\">"
        }.joined(separator: "\n")
        return """
            <html><head><title>Working...</title></head><body>
            <form method="POST" name="hiddenform" action="\(HTML.escape(redirectURI))">
            \(inputs)
            <noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit"></noscript>
            </form>
            <script language="javascript">document.forms[0].submit();</script>
            </body></html>
            """
    }

    static func deviceLogin(action: String, problem: String?, done: Bool) -> String {
        if done {
            return page(
                title: "Device sign-in",
                body: """
                    <h1 id="done">You have signed in</h1>
                    <p>You have signed in to the application on your device. You may now close this window.</p>
                    """)
        }
        return page(
            title: "Enter code",
            body: """
                <h1>Enter code</h1>
                <p>Enter the code displayed on your app or device, then sign in.</p>
                \(problem.map { "<p class=\"error\">\(HTML.escape($0))</p>" } ?? "")
                <form method="post" action="\(HTML.escape(action))">
                <input type="text" name="otc" id="otc" placeholder="Code">
                <input type="email" name="loginfmt" id="i0116" placeholder="Email">
                <input type="password" name="passwd" id="i0118" placeholder="Password">
                <button type="submit" name="accept" value="yes" id="idSIButton9">Next</button>
                <button type="submit" name="accept" value="no" id="idBtn_Back">Cancel</button>
                </form>
                """)
    }

    static func signedOut() -> String {
        page(
            title: "Sign out",
            body:
                "<h1 id=\"signedOut\">You signed out of your account</h1><p>It's a good idea to close all browser windows.</p>"
        )
    }
}
