import Foundation
import MicrosoftClouds
import Testing

/// `Cloud.v1Issuer(tenant:)` replaces `{tenant}` on bytes; it must build what Foundation's
/// `replacingOccurrences` built, for every cloud and for templates with no, one or several placeholders.
@Suite struct CloudIssuerTests {
    @Test func v1IssuerIsTheTemplateWithTheTenantFilledIn() {
        let tenants = ["8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a", "", "common", "{tenant}", "é/{x}", "a b"]
        var clouds = Cloud.all
        for template in ["", "no placeholder", "{tenant}", "a{tenant}b{tenant}c", "{tenant", "é{tenant}ü/{tenant}"] {
            var cloud = Cloud.all[0]
            cloud.v1IssuerTemplate = template
            clouds.append(cloud)
        }
        for cloud in clouds {
            for tenant in tenants {
                #expect(
                    cloud.v1Issuer(tenant: tenant)
                        == cloud.v1IssuerTemplate.replacingOccurrences(of: "{tenant}", with: tenant),
                    "\(cloud.v1IssuerTemplate) \(tenant)")
            }
        }
        #expect(Cloud.named(.worldwide).v1Issuer(tenant: "t") == "https://sts.windows.net/t/")
    }
}
