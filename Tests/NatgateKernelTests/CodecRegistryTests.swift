import NatgateKernel
import NatgateModel
import Testing

/// `KernelCodecRegistry.standard` lists its codecs by hand (casting each type at start costs
/// every process a conformance scan): it must be exactly what casting the standard extension
/// registry's types finds, in the same order.
@Suite struct CodecRegistryTests {
    @Test func theStandardListIsEveryTypedExtensionWithACodec() {
        let found = KernelCodecRegistry(extensions: .standard)
        let listed = KernelCodecRegistry.standard
        #expect(listed.matches.map { ObjectIdentifier($0) } == found.matches.map { ObjectIdentifier($0) }, "\(listed.matches) vs \(found.matches)")
        #expect(listed.targets.map { ObjectIdentifier($0) } == found.targets.map { ObjectIdentifier($0) }, "\(listed.targets) vs \(found.targets)")
        // Every type the parser knows can be written: none is left without a codec.
        #expect(found.matches.count == ExtensionRegistry.standard.matches.count)
        #expect(found.targets.count == ExtensionRegistry.standard.targets.count)
    }
}
