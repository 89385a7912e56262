/// A remembered habit: a k×k neighbourhood and the state its centre cell had one step later.
public struct Crystal: Hashable, Sendable {
    /// Assigned 1, 2, … in order of creation within a run; never reused.
    public let id: Int
    /// The window, bit `(dy+r)*k + (dx+r)` holding the cell at `(x+dx, y+dy)`.
    public let form: UInt64
    /// The centre's next state: 1 alive, 0 dead.
    public let outcome: UInt8
    /// Grows toward 1 each time the habit recurs at a crystallization.
    public var strength: Double
    /// The generation whose state first showed this habit (`t + 1` after step t).
    public let generationCreated: Int
    /// The last step that applied this crystal's influence, if any.
    public var lastUsed: Int?
    /// How many cell updates took this crystal's outcome.
    public var activations = 0
    /// Activations whose outcome differed from the Life rule's.
    public var overrides = 0

    /// Creates a crystal that has not been used yet.
    public init(id: Int, form: UInt64, outcome: UInt8, strength: Double, generationCreated: Int) {
        self.id = id
        self.form = form
        self.outcome = outcome
        self.strength = strength
        self.generationCreated = generationCreated
    }

    /// The form as `k` rows of `#` (alive) and `.`, top row first.
    public func rows(formSize k: Int) -> [String] {
        (0..<k).map { row in
            String((0..<k).map { column in form >> UInt64(row * k + column) & 1 == 1 ? "#" : "." })
        }
    }
}
