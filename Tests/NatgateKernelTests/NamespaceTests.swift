import Foundation
import NatgateKernel
import NatgateModel
import Testing
import NatgateLab

@Suite("Network namespaces", .serialized)
struct NamespaceTests {
    @Test("run enters the namespace on its own thread and leaves the caller where it was", kernelTests)
    func runMovesOnlyItsThread() throws {
        try ThrowawayNamespace.with { scratch in
            let before = try currentNamespaceInode()
            let inside = try scratch.namespace.run { try currentNamespaceInode() }
            let after = try currentNamespaceInode()
            #expect(inside != before)
            #expect(after == before)
            // `ip netns exec` sees the same namespace the runner entered.
            let viaIP = try scratch.shell("readlink /proc/self/ns/net").trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(viaIP == inside)
        }
    }

    @Test("current runs in place")
    func currentRunsInPlace() throws {
        let thread = pthread_self()
        let same = try NetworkNamespace.current.run { pthread_equal(pthread_self(), thread) != 0 }
        #expect(same)
    }

    @Test("a missing namespace is bad input that says how to list them", kernelTests)
    func missingNamespace() throws {
        let error = #expect(throws: KernelError.self) {
            try NetworkNamespace.named("natgate-test-does-not-exist").run { 1 }
        }
        #expect(error?.kind == .invalidNamespaceName)
        #expect(error?.description.contains("ip netns list") == true)
    }

    @Test("errors thrown inside come back unchanged", kernelTests)
    func errorsPassThrough() throws {
        struct Marker: Error {}
        try ThrowawayNamespace.with { scratch in
            #expect(throws: Marker.self) { try scratch.namespace.run { throw Marker() } }
        }
    }

    @Test("a throwaway namespace is removed afterwards, also when the body throws", kernelTests)
    func throwawayIsRemoved() throws {
        struct Marker: Error {}
        var name = ""
        #expect(throws: Marker.self) {
            try ThrowawayNamespace.with { scratch in
                name = scratch.name
                throw Marker()
            }
        }
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(name)"))
    }
}
