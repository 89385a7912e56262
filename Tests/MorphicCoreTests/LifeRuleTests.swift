import Testing

@testable import MorphicCore

@Suite struct LifeRuleTests {
    @Test func notation_IsParsedAndWrittenCanonically() {
        #expect(LifeRule(notation: "B3/S23") == .conway)
        #expect(LifeRule(notation: "b3/s32")?.description == "B3/S23")
        #expect(LifeRule(notation: "B36/S23")?.description == "B36/S23")
        #expect(LifeRule(notation: "B/S")?.description == "B/S")
    }

    @Test(arguments: ["", "B3", "B3/S23/X", "B9/S23", "B33/S23", "S23/B3", "B3/S2x", "B٣/S23"])
    func notation_IsRefused_WhenMalformed(_ text: String) {
        #expect(LifeRule(notation: text) == nil)
    }

    @Test func table_FollowsBirthAndSurvival() {
        let table = LifeRule.conway.table.entries
        // Dead centre with three neighbours (bits 0, 1, 2): born.
        #expect(table[0b000_000_111] == 1)
        // Live centre (bit 4) with two neighbours: survives; with one: dies; with four: dies.
        #expect(table[0b000_010_011] == 1)
        #expect(table[0b000_010_001] == 0)
        #expect(table[0b000_111_011] == 0)
        #expect(table.reduce(0) { $0 + Int($1) } == 140)
    }

    @Test func ruleTable_RoundTripsThroughBits() {
        let table = LifeRule.conway.table
        #expect(RuleTable(bits: table.bits) == table)
        #expect(RuleTable(bits: String(table.bits.dropLast())) == nil)
        #expect(RuleTable(bits: String(table.bits.dropLast()) + "2") == nil)
    }
}
