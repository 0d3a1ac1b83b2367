namespace PyHost.Http.RateLimiting;

/// <summary>
/// Per-key state with a fixed most number of keys, as nginx's shared-memory zones: when full, the least recently
/// used key is forgotten (ngx_http_limit_req_expire). Forgetting a rate limiter's key is at worst generous: the
/// client starts again with an empty bucket. Striped into locks so that two cores rarely wait for one another.
/// </summary>
public sealed class BoundedKeyStore<T>(int maxKeys) where T : class
{
    private const int StripeCount = 16;

    private readonly Stripe[] _stripes = Enumerable.Range(0, StripeCount).Select(_ => new Stripe(Math.Max(1, maxKeys / StripeCount))).ToArray();

    public int Count => _stripes.Sum(stripe => stripe.Count);

    public T GetOrAdd(string key, Func<T> create) =>
        _stripes[(uint)StringComparer.Ordinal.GetHashCode(key) % StripeCount].GetOrAdd(key, create);

    /// <summary>Forgets a key whose state is back to its start (a drained bucket, no requests in flight).</summary>
    public void Remove(string key, T value) =>
        _stripes[(uint)StringComparer.Ordinal.GetHashCode(key) % StripeCount].Remove(key, value);

    private sealed class Stripe(int capacity)
    {
        private readonly Dictionary<string, LinkedListNode<(string Key, T Value)>> _index = new(StringComparer.Ordinal);
        private readonly LinkedList<(string Key, T Value)> _recent = new();   // most recently used first

        public int Count
        {
            get
            {
                lock (_index)
                {
                    return _index.Count;
                }
            }
        }

        public T GetOrAdd(string key, Func<T> create)
        {
            lock (_index)
            {
                if (_index.TryGetValue(key, out LinkedListNode<(string Key, T Value)>? node))
                {
                    if (node != _recent.First)
                    {
                        _recent.Remove(node);
                        _recent.AddFirst(node);
                    }
                    return node.Value.Value;
                }
                if (_index.Count >= capacity)
                {
                    LinkedListNode<(string Key, T Value)> oldest = _recent.Last!;
                    _recent.RemoveLast();
                    _index.Remove(oldest.Value.Key);
                    // Reuse the node: a steady flood of new keys allocates only their state.
                    oldest.Value = (key, create());
                    _recent.AddFirst(oldest);
                    _index[key] = oldest;
                    return oldest.Value.Value;
                }
                var added = _recent.AddFirst((key, create()));
                _index[key] = added;
                return added.Value.Value;
            }
        }

        public void Remove(string key, T value)
        {
            lock (_index)
            {
                if (_index.TryGetValue(key, out LinkedListNode<(string Key, T Value)>? node) && ReferenceEquals(node.Value.Value, value))
                {
                    _recent.Remove(node);
                    _index.Remove(key);
                }
            }
        }
    }
}
