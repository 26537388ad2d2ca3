// README "Golden-rule testing", GoldenRules' doc comment and the NatgateTesting article, verbatim:
// a real test of the policy and rules beside this file, importing only what the snippet does.
import Foundation
import NatgateTesting
import Testing

/// The policy in this test's folder compiles to the rules a reviewer approved.
@Test func ourGatewaysCompileToTheReviewedRules() throws {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    let policy = try PolicyFile.decode(Data(contentsOf: folder.appendingPathComponent("gateways.json")))
    let rendered = try GoldenRules.render(policy.gateways, family: .ipv4)
    let expected = try String(contentsOf: folder.appendingPathComponent("gateways.rules"), encoding: .utf8)
    let comparison = try GoldenRules.compare(expected: expected, actual: rendered, family: .ipv4)
    #expect(comparison.isMatch, "\(comparison)")   // prints a -/+ diff when not
}
