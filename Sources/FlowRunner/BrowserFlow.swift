import Foundation
import ScenarioModel

/// The sign-in pages as a browser sees them: the hidden fields of each form, and which page it is.
enum HTMLForms {
    /// A form on a page: its `exomock_action` and hidden fields.
    struct Form {
        var action: String
        var fields: [(String, String)]
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// Every `<form>` with its hidden inputs.
    static func forms(_ html: String) -> [Form] {
        html.components(separatedBy: "<form").dropFirst().map { chunk in
            let body = chunk.components(separatedBy: "</form>")[0]
            var fields: [(String, String)] = []
            for input in body.components(separatedBy: "<input").dropFirst() where input.contains("type=\"hidden\"") {
                guard let name = attribute("name", in: input), let value = attribute("value", in: input) else {
                    continue
                }
                fields.append((name, value))
            }
            let action = fields.first { $0.0 == "exomock_action" }?.1 ?? ""
            return Form(action: action, fields: fields)
        }
    }

    static func attribute(_ name: String, in tag: String) -> String? {
        guard let start = tag.range(of: " \(name)=\"") else { return nil }
        let rest = tag[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return unescape(String(rest[..<end]))
    }

    /// The error a page shows (`<p class="error">`), if any.
    static func problem(_ html: String) -> String? {
        guard let start = html.range(of: "class=\"error\""), let open = html[start.upperBound...].firstIndex(of: ">")
        else {
            return nil
        }
        let rest = html[html.index(after: open)...]
        guard let close = rest.range(of: "</") else { return nil }
        return unescape(String(rest[..<close.lowerBound]))
    }

    /// The AADSTS code an error page names.
    static func aadstsCode(_ html: String) -> Int? {
        guard let range = html.range(of: "AADSTS") else { return nil }
        return Int(html[range.upperBound...].prefix { $0.isNumber })
    }

    static func title(_ html: String) -> String {
        guard let a = html.range(of: "<h1>"), let b = html.range(of: "</h1>", range: a.upperBound..<html.endIndex)
        else {
            return "page"
        }
        return String(html[a.upperBound..<b.lowerBound])
    }
}

extension RunContext {
    /// Authorize in the browser as `t.user`: the sign-in page, "Pick an account" when the SSO session
    /// offers it, consent when asked; returns the code from the redirect, or what went wrong.
    func signInThroughBrowser(_ t: TokenStep, authorize: String, verifier: String?) async throws -> Result<
        String, Observation
    > {
        var query: [(String, String)] = [
            ("client_id", t.app), ("response_type", "code"), ("redirect_uri", redirectURI(t)),
            ("scope", t.scopes.joined(separator: " ")), ("state", "exomock"),
        ]
        if let p = t.prompt { query.append(("prompt", p)) }
        if let h = t.loginHint { query.append(("login_hint", h)) }
        if let h = t.domainHint { query.append(("domain_hint", h)) }
        if let verifier { query += [("code_challenge", PKCE.challenge(verifier)), ("code_challenge_method", "S256")] }
        let user = t.user ?? ""
        add(.request, "browser GET \(URLText.pathAndQuery(authorize))?\(shown(query))")
        var answer = try await http.request(.GET, "\(authorize)?\(FormEncoding.encode(query))")
        for _ in 0..<8 {
            if answer.status == 302, let location = answer.header("Location") {
                let parameters = FormEncoding.decode(
                    location.split(separator: "?", maxSplits: 1).dropFirst().first ?? "")
                if let code = parameters["code"] {
                    add(.response, "302 to \(location.split(separator: "?")[0]) with code=\(mask(code))")
                    try await readJournal()
                    return .success(code)
                }
                let error = parameters["error"] ?? "?"
                let description = (parameters["error_description"] ?? "").components(separatedBy: "\r\n")[0]
                add(.response, "302 to \(location.split(separator: "?")[0]) with error=\(error)")
                if !description.isEmpty { add(.response, "  \(description)") }
                let code = HTMLForms.aadstsCode(description)
                return .failure(
                    Observation(
                        success: false, httpStatus: 302, error: error, errorCodes: code.map { [$0] } ?? [],
                        lines: [description],
                        summary: "the sign-in redirected with error=\(error)" + (code.map { " AADSTS\($0)" } ?? "")))
            }
            guard answer.status == 200 else {
                let code = HTMLForms.aadstsCode(answer.body)
                add(.response, "\(answer.status) error page" + (code.map { " AADSTS\($0)" } ?? ""))
                try await readJournal()
                return .failure(
                    Observation(
                        success: false, httpStatus: answer.status, error: "error_page",
                        errorCodes: code.map { [$0] } ?? [],
                        summary: "the sign-in page showed an error" + (code.map { " AADSTS\($0)" } ?? "")))
            }
            let forms = HTMLForms.forms(answer.body)
            let problem = HTMLForms.problem(answer.body)
            add(.response, "200 \(HTMLForms.title(answer.body))" + (problem.map { ": \($0)" } ?? ""))
            if problem != nil, forms.contains(where: { $0.action == "signin" }) {
                try await readJournal()
                return .failure(
                    Observation(
                        success: false, httpStatus: 200, error: "sign_in_refused", lines: [problem ?? ""],
                        summary: "the sign-in page said: \(problem ?? "")"))
            }
            var post: [(String, String)]
            if let signIn = forms.first(where: { $0.action == "signin" }) {
                post = signIn.fields.filter { $0.0 != "loginfmt" } + [("loginfmt", user), ("passwd", password(for: t))]
            } else if let pick = forms.first(where: {
                $0.action == "pick"
                    && $0.fields.contains { $0.0 == "account" && $0.1.lowercased() == user.lowercased() }
            }) {
                post = pick.fields
            } else if let another = forms.first(where: { $0.action == "another" }) {
                post = another.fields
            } else if let consent = forms.first(where: { $0.action == "consent" }) {
                post = consent.fields + [("accept", t.consent ? "yes" : "no")]
            } else {
                return .failure(
                    Observation(success: false, httpStatus: 200, summary: "a page with no form the browser knows"))
            }
            add(
                .request,
                "browser POST \(URLText.pathAndQuery(authorize)) \(shown(post.filter { !Self.pageEcho.contains($0.0) }))"
            )
            answer = try await http.request(.POST, authorize, form: post)
        }
        return .failure(Observation(success: false, summary: "the sign-in did not finish within 8 pages"))
    }

    /// Authorize parameters every page form carries again; the transcript shows only what the user chose.
    static let pageEcho: Set<String> = [
        "client_id", "response_type", "redirect_uri", "scope", "state", "prompt", "login_hint", "domain_hint",
        "code_challenge", "code_challenge_method", "response_mode", "nonce",
    ]
}
