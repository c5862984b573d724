# Calls the XML-RPC server at ARGV[0] with Perl's RPC::XML::Client, deflating requests over
# 1000 bytes, and prints one line per result.
use strict;
use warnings;
use RPC::XML;
use RPC::XML::Client;

my $client = RPC::XML::Client->new($ARGV[0]);
$client->compress_requests(1);
$client->compress_thresh(1000);
$client->compress or die "no deflate support (Compress::Zlib)\n";

sub call {
    my $r = $client->send_request(@_);
    ref $r or die "transport failure: $r\n";
    return $r;
}

my $r = call('add', RPC::XML::int->new(40), RPC::XML::int->new(2));
print "add ", $r->value, "\n";
for my $dt ('20250102T03:04:05Z', '2025-01-02T03:04:05.250+02:00', '19980717T14:08:55') {
    $r = call('echo', RPC::XML::datetime_iso8601->new($dt));
    print "datetime ", $r->type, " ", $r->value, "\n";
}
$r = call('echo', RPC::XML::string->new("caf\x{e9} \x{2603}"));
print "string ", ($r->value eq "caf\x{e9} \x{2603}" ? "same" : "differs"), "\n";
$r = call('echo', RPC::XML::boolean->new('true'));
print "boolean ", $r->type, " ", $r->value, "\n";
$r = call('echo', RPC::XML::double->new(2.5));
print "double ", $r->value, "\n";
$r = call('echo', RPC::XML::base64->new("\x00\xffbin"));
print "base64 ", unpack('H*', $r->value), "\n";
$r = call('echo', RPC::XML::struct->new(a => 1, b => RPC::XML::array->new(2, 'three')));
print "struct ", join(',', map { $_ . '=' . (ref $r->value->{$_} ? join('|', @{ $r->value->{$_} }) : $r->value->{$_}) } sort keys %{ $r->value }), "\n";
my $big = 'z' x 50_000;
$r = call('echo', RPC::XML::string->new($big));
print "deflated request ", length($r->value), "\n";
$r = call('fail');
print "fault ", $r->code, " ", $r->string, "\n";
$r = call('nope');
print "missing ", $r->code, " ", $r->string, "\n";
