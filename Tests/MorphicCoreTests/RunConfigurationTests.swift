import Testing

@testable import MorphicCore

@Suite struct RunConfigurationTests {
    @Test func defaults_AreThoseOfTheModel() {
        let configuration = RunConfiguration()
        #expect(configuration.gridSize == 25)
        #expect(configuration.generations == 200)
        #expect(configuration.fieldStrength == 0.6)
        #expect(configuration.rule == .conway)
        #expect(configuration.seed == nil)
    }

    @Test(arguments: [
        (ParameterKey.gridSize, "3", true), (.gridSize, "2", false), (.gridSize, "4096", true),
        (.gridSize, "4097", false),
        (.generations, "0", false), (.generations, "100000", true), (.generations, "100001", false),
        (.fieldStrength, "1", true), (.fieldStrength, "1.0000001", false), (.fieldStrength, "-0.1", false),
        (.fieldStrength, "nan", false), (.fieldStrength, "inf", false), (.temporalDecay, "10", true),
        (.temporalDecay, "10.5", false), (.influenceExponent, "0.1", true), (.influenceExponent, "0.09", false),
        (.crystalCount, "64", true), (.crystalCount, "65", false), (.formSize, "7", true), (.formSize, "4", false),
        (.formSize, "9", false), (.crystallizationInterval, "10000", true), (.crystallizationInterval, "10001", false),
        (.seed, "18446744073709551615", true), (.seed, "18446744073709551616", false), (.seed, "-1", false),
        (.generations, "200.0", true), (.generations, "200.5", false), (.mode, "control", true),
        (.mode, "quantum", false), (.boundary, "torus", true), (.boundary, "klein", false),
        (.similarity, "jaccard", true), (.similarity, "cosine", false), (.rule, "B36/S23", true),
        (.rule, "Life", false),
    ])
    func set_AcceptsTheRangeAndRefusesBeyondIt(key: ParameterKey, argument: String, accepted: Bool) {
        var configuration = RunConfiguration()
        do {
            try configuration.set(key, argument: argument)
            #expect(accepted, "\(key.rawValue)=\(argument) should be refused")
        } catch {
            #expect(!accepted, "\(key.rawValue)=\(argument) should be accepted")
            #expect(error.key == key.rawValue)
            #expect(error.message.contains(key.rawValue))
        }
    }

    @Test func set_RefusesAValueOfTheWrongKind() {
        var configuration = RunConfiguration()
        #expect(throws: ConfigurationError.self) { try configuration.set(.gridSize, .text("25")) }
        #expect(throws: ConfigurationError.self) { try configuration.set(.mode, .number("1")) }
    }

    @Test func validated_RefusesMoreFormCellsThanTheWindowHolds() throws {
        var configuration = RunConfiguration()
        try configuration.set(.formSize, argument: "3")
        try configuration.set(.minFormCells, argument: "9")
        _ = try configuration.validated()
        try configuration.set(.minFormCells, argument: "10")
        #expect(
            throws: ConfigurationError(
                key: "min_form_cells", message: "min_form_cells must be at most form_size² = 9, not 10")
        ) { try configuration.validated() }
    }

    @Test func parameterKeys_FollowTheModelTableOrder() {
        #expect(ParameterKey.allCases.first == .mode)
        #expect(ParameterKey.allCases.last == .seed)
        #expect(ParameterKey.fieldStrength < .temporalDecay)
        #expect(ParameterKey.temporalDecay < .similarityThreshold)
    }
}
