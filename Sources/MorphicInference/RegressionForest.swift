import Dispatch

/// A random forest of regression trees (Breiman 2001) that keeps, in each leaf, the
/// training runs that fell there, so that a prediction is a weighting of the training runs
/// rather than one number: a quantile regression forest (Meinshausen 2006). Splits minimise
/// the squared error over histograms of binned features; each tree grows on its own
/// bootstrap sample and tries a third of the features at each node.
///
/// Training is a pure function of the data and `seed`: each tree draws from its own stream,
/// so trees grow in parallel and still give the same forest on any machine.
struct RegressionForest: Sendable {
    /// A node of a tree: a split (runs whose bin in `feature` is at most `threshold` go
    /// left) or, with `feature` < 0, a leaf holding `samples[start..<start + count]`.
    struct Node: Sendable {
        var feature: Int32
        var threshold: UInt8
        var left: Int32
        var right: Int32
        var start: Int32
        var count: Int32
    }

    /// One tree: its nodes (the root first) and its in-bag sample, ordered leaf by leaf.
    struct Tree: Sendable {
        var nodes: [Node]
        var samples: [Int32]
    }

    let trees: [Tree]
    /// How many training positions the leaves index.
    let trainingCount: Int

    /// Grows `limits.trees` trees on the training runs: `columns[feature][row]` are the
    /// binned features of every run of the table, `rows` the training runs, `targets` the
    /// value to predict for each of them.
    init(columns: [[UInt8]], rows: [Int], targets: [Double], bins: Int, limits: InferenceLimits, seed: UInt64) {
        precondition(rows.count == targets.count && !rows.isEmpty)
        let featureCount = columns.count
        let tried = max(1, featureCount / 3)
        let slots = Slots<Tree>(count: limits.trees)
        withoutActuallyEscaping({ (index: Int) in
            var generator = SeededGenerator(seed: seed, stream: UInt64(index))
            slots.set(
                index,
                Self.grow(
                    columns: columns, rows: rows, targets: targets, bins: bins, tried: tried, limits: limits,
                    generator: &generator))
        }) { body in
            let shared = SendableBody(body: body)
            DispatchQueue.concurrentPerform(iterations: limits.trees) { shared.body($0) }
        }
        trees = slots.values
        trainingCount = rows.count
    }

    /// Adds each training position's weight for a run with these bins to `weights` (of
    /// ``trainingCount`` entries): 1 / (leaf size × trees) for each time it is in the leaf
    /// the run falls into, tree by tree in order, so the sums are the same every time.
    func addWeights(bins: [UInt8], to weights: inout [Double]) {
        let share = 1 / Double(trees.count)
        for tree in trees {
            var node = tree.nodes[0]
            while node.feature >= 0 {
                node = tree.nodes[Int(bins[Int(node.feature)] <= node.threshold ? node.left : node.right)]
            }
            let weight = share / Double(node.count)
            for index in Int(node.start)..<Int(node.start + node.count) {
                weights[Int(tree.samples[index])] += weight
            }
        }
    }

    private static func grow(
        columns: [[UInt8]], rows: [Int], targets: [Double], bins: Int, tried: Int, limits: InferenceLimits,
        generator: inout SeededGenerator
    ) -> Tree {
        let count = rows.count
        var samples = (0..<count).map { _ in Int32(generator.index(below: count)) }
        var nodes: [Node] = [Node(feature: -1, threshold: 0, left: 0, right: 0, start: 0, count: Int32(count))]
        var pending: [(node: Int, start: Int, end: Int, depth: Int)] = [(0, 0, count, 0)]
        var features = Array(0..<columns.count)
        var counts = [Int](repeating: 0, count: bins)
        var sums = [Double](repeating: 0, count: bins)
        while let (nodeIndex, start, end, depth) = pending.popLast() {
            let size = end - start
            guard size >= 2 * limits.minimumLeafSize, depth < limits.maximumDepth else { continue }
            var total = 0.0
            var lowest = Double.infinity
            var highest = -Double.infinity
            for position in start..<end {
                let y = targets[Int(samples[position])]
                total += y
                lowest = min(lowest, y)
                highest = max(highest, y)
            }
            guard lowest < highest else { continue }
            // The split maximising sumL²/nL + sumR²/nR (the squared error's reduction), among
            // `tried` features drawn without replacement.
            var bestScore = total * total / Double(size) * (1 + 1e-12) + 1e-12
            var bestFeature = -1
            var bestThreshold = 0
            for draw in 0..<tried {
                let pick = draw + generator.index(below: features.count - draw)
                features.swapAt(draw, pick)
                let feature = features[draw]
                let column = columns[feature]
                for bin in 0..<bins {
                    counts[bin] = 0
                    sums[bin] = 0
                }
                for position in start..<end {
                    let sample = Int(samples[position])
                    let bin = Int(column[rows[sample]])
                    counts[bin] += 1
                    sums[bin] += targets[sample]
                }
                var leftCount = 0
                var leftSum = 0.0
                for bin in 0..<(bins - 1) {
                    leftCount += counts[bin]
                    leftSum += sums[bin]
                    let rightCount = size - leftCount
                    if rightCount < limits.minimumLeafSize { break }
                    guard leftCount >= limits.minimumLeafSize, counts[bin] > 0 else { continue }
                    let rightSum = total - leftSum
                    let score = leftSum * leftSum / Double(leftCount) + rightSum * rightSum / Double(rightCount)
                    if score > bestScore {
                        bestScore = score
                        bestFeature = feature
                        bestThreshold = bin
                    }
                }
            }
            guard bestFeature >= 0 else { continue }
            let column = columns[bestFeature]
            var low = start
            var high = end - 1
            while low <= high {
                if Int(column[rows[Int(samples[low])]]) <= bestThreshold {
                    low += 1
                } else {
                    samples.swapAt(low, high)
                    high -= 1
                }
            }
            let left = nodes.count
            nodes.append(
                Node(feature: -1, threshold: 0, left: 0, right: 0, start: Int32(start), count: Int32(low - start)))
            nodes.append(Node(feature: -1, threshold: 0, left: 0, right: 0, start: Int32(low), count: Int32(end - low)))
            nodes[nodeIndex] = Node(
                feature: Int32(bestFeature), threshold: UInt8(bestThreshold), left: Int32(left), right: Int32(left + 1),
                start: 0, count: 0)
            pending.append((left + 1, low, end, depth + 1))
            pending.append((left, start, low, depth + 1))
        }
        return Tree(nodes: nodes, samples: samples)
    }
}

/// Results written by parallel workers, each to its own slot.
final class Slots<Value>: @unchecked Sendable {
    private var storage: [Value?]
    private let lock = Lock()

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Value) {
        lock.locked { storage[index] = value }
    }

    /// Every slot's value; all must have been set.
    var values: [Value] { lock.locked { storage.map { $0! } } }
}

/// A closure shared by the workers of `concurrentPerform`; each writes only its own slot.
struct SendableBody: @unchecked Sendable {
    let body: (Int) -> Void
}
