import ExomockCLI
import ExomockTestSupport
import Foundation
import MicrosoftClouds
import Testing

@Suite struct CatalogTests {
    @Test("docs/clouds.md is the catalog rendered by `exomock clouds --markdown`")
    func cloudsDocMatchesCode() throws {
        let path = TestSupport.repositoryRoot.appendingPathComponent("docs/clouds.md")
        let committed = try String(contentsOf: path, encoding: .utf8)
        #expect(
            committed == CloudCatalogDocument.markdown(),
            "regenerate with: .build/debug/exomock clouds --markdown > docs/clouds.md")
    }

    @Test("each cloud's facts from the reference")
    func facts() {
        let gccHigh = Cloud.named(.gccHigh)
        #expect(gccHigh.authorityHost == "login.microsoftonline.us")
        #expect(gccHigh.outlookHosts.first == "outlook.office365.us")
        #expect(gccHigh.scopeResource == "https://outlook.office365.us")
        #expect(gccHigh.v1Issuer(tenant: "t") == "https://sts.windows.net/t/")
        #expect(Cloud.named(.gcc).authorityHost == Cloud.named(.worldwide).authorityHost)
        #expect(Cloud.named(.china).v1Issuer(tenant: "t") == "https://sts.chinacloudapi.cn/t/")
        #expect(Cloud.named(.dod).acceptedMailAudiences.contains("https://outlook-dod.office365.us"))
        #expect(Set(Cloud.all.map(\.hostsModeAddress)).count == Cloud.all.count)
    }
}
