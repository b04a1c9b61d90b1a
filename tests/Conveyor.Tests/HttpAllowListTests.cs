using System.Net;
using Conveyor.Http;
using Xunit;

namespace Conveyor.Tests;

/// <summary>The http kind's allow-list: names, addresses and ranges; internal addresses only when listed themselves.</summary>
public sealed class HttpAllowListTests
{
    private readonly HttpAllowList _list = new(["api.example.com", "10.1.2.3", "192.168.50.0/24", "::1"]);

    [Theory]
    [InlineData("api.example.com", "93.184.216.34", true)]   // a listed name at a public address
    [InlineData("api.example.com", "10.0.0.5", false)]       // a listed name that resolves inside: refused
    [InlineData("api.example.com", "127.0.0.1", false)]
    [InlineData("api.example.com", "169.254.169.254", false)] // cloud metadata
    [InlineData("api.example.com", "::ffff:10.0.0.5", false)]
    [InlineData("10.1.2.3", "10.1.2.3", true)]               // an internal address listed itself
    [InlineData("other", "10.1.2.3", true)]
    [InlineData("other", "192.168.50.77", true)]              // in a listed range
    [InlineData("other", "192.168.51.1", false)]
    [InlineData("other.example.com", "93.184.216.34", false)] // an unlisted name
    [InlineData("::1", "::1", true)]
    public void Decides_by_name_and_by_the_address_dialled(string host, string address, bool allowed) =>
        Assert.Equal(allowed, _list.MayConnect(host, IPAddress.Parse(address)));

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.9.9.9", true)]
    [InlineData("172.20.1.1", true)]
    [InlineData("172.32.1.1", false)]
    [InlineData("100.64.0.1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("2001:4860:4860::8888", false)]
    public void Knows_internal_addresses(string address, bool internalAddress) =>
        Assert.Equal(internalAddress, HttpAllowList.IsInternal(IPAddress.Parse(address)));

    [Fact]
    public void Bad_entries_and_empty_lists()
    {
        Assert.Throws<JobValidationException>(() => new HttpAllowList(["http://x/y"]));
        Assert.True(new HttpAllowList([]).IsEmpty);
        Assert.True(_list.ListsHost("API.example.com"));
        Assert.False(_list.ListsHost("localhost"));
    }
}
