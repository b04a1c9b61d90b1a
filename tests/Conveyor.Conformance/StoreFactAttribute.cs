using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Conveyor.Conformance;

/// <summary>
/// A fact of the shared suites. A store's test class may declare <c>public static string? SkipReason</c>:
/// when it returns a reason (the store's server is not available on this machine), every inherited test
/// is reported skipped with that reason instead of failing, so the cause is stated, never hidden.
/// </summary>
[XunitTestCaseDiscoverer("Conveyor.Conformance.StoreFactDiscoverer", "Conveyor.Conformance")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StoreFactAttribute : FactAttribute;

public sealed class StoreFactDiscoverer(IMessageSink diagnostics) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var reason = testMethod.TestClass.Class.ToRuntimeType()?.GetProperty("SkipReason")?.GetValue(null) as string;
        yield return new StoreTestCase(diagnostics, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason);
    }
}

public sealed class StoreTestCase : XunitTestCase
{
    private string? _skipReason;

    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public StoreTestCase()
    {
    }

    public StoreTestCase(IMessageSink diagnostics, TestMethodDisplay display, TestMethodDisplayOptions displayOptions, ITestMethod method, string? skipReason)
        : base(diagnostics, display, displayOptions, method)
    {
        _skipReason = skipReason;
        SkipReason = skipReason;
    }

    protected override string? GetSkipReason(IAttributeInfo factAttribute) => _skipReason ?? base.GetSkipReason(factAttribute);

    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        data.AddValue("StoreSkipReason", _skipReason);
    }

    public override void Deserialize(IXunitSerializationInfo data)
    {
        base.Deserialize(data);
        _skipReason = data.GetValue<string?>("StoreSkipReason");
        SkipReason = _skipReason;
    }
}
