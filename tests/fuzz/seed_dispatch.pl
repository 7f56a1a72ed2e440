#!/usr/bin/perl
# seed_dispatch.pl: write the seed inputs of the dispatch fuzz target
# (fuzz_dispatch.c) into tests/fuzz/corpus/dispatch: a valid request of every
# method, with the parameters that lead furthest into its handler, some
# pipelines, and the same streams cut into chunks. The seed events the
# harness writes have the ids e0..e23. Run it again after adding a method.
#
#   perl tests/fuzz/seed_dispatch.pl [CORPUS_DIR]
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Annals::MsgPack qw();

my $dir = shift // "$FindBin::Bin/corpus/dispatch";
mkdir $dir unless -d $dir;

my $T = Annals::MsgPack::true();
my $id = 0;
sub req { my ($method, $params) = @_; Annals::MsgPack::encode([0, ++$id, $method, $params ? [$params] : []]) }

my $event = { id => 'e1', kind => 'meeting', title => 'Talks in Rabat', start => '2024-03',
              end => '2024-04-02', countries => ['MA', 'NO'], tags => ['trade'],
              participants => [{ name => 'Nasser Bourita', aliases => ['ناصر بوريطة'], role => 'minister' }],
              place => { city => 'Rabat', country => 'MA', lat => 34.02, lon => -6.83 },
              sources => [{ url => 'https://example.org/a', published => '2024-03-05' }],
              extra => { n => 1 } };
my %filters = (from => '2000', to => '2030', mode => 'overlap', kind => 'meeting',
               country => ['MA', 'NO'], tag => 'trade', participant => 'Bourita',
               place => 'Rabat', q => 'ministers rabat');

my %seeds = (
    hello       => req('hello'),
    auth        => req('auth', { token => 'anything-goes-here' }),
    ping        => req('ping'),
    stats       => req('stats'),
    put         => req('put', { event => $event }),
    put_many    => req('put_many', { events => [$event, { title => 'B', start => '1999-12-31T23:59:59Z' }] }),
    get         => req('get', { id => 'e3' }),
    delete      => req('delete', { id => 'e4' }),
    range       => req('range', { %filters, limit => 5, order => 'desc' }),
    range_plain => req('range', { from => '2001', to => '2010-06', mode => 'within', limit => 3 }),
    count       => req('count', { from => '2005', kind => ['visit', 'meeting'] }),
    histogram   => req('histogram', { from => '2000', to => '2024', bucket => 'year', spread => $T }),
    top         => req('top', { field => 'participant', limit => 3, country => 'MA' }),
    subscribe   => req('subscribe', { since => 0, country => 'MA' }),
    unsubscribe => req('subscribe') . req('unsubscribe', { sub => 1 }),
    changes     => req('changes', { since => 0, limit => 10, tag => 'trade' }),
    backup      => req('backup', { path => '/nonexistent/annals-backup' }),
    pipeline    => req('put', { event => { title => 'x', start => '2020' } }) . req('get', { id => 'e1' })
                   . req('delete', { id => 'e2' }) . req('count') . req('subscribe', { since => 1 })
                   . req('put', { event => { id => 'e5', title => 'y', start => '2021-05' } }) . req('ping'),
);

for my $name (sort keys %seeds) {
    my $stream = $seeds{$name};
    write_seed("seed-$name", "\x00" . $stream);
    # The same stream cut into chunks of 1, 3 and 7 bytes.
    write_seed("seed-$name-cut", "\x03\x01\x03\x07" . $stream) if $name =~ /^(pipeline|put|range|subscribe)$/;
}

sub write_seed {
    my ($name, $bytes) = @_;
    open(my $fh, '>:raw', "$dir/$name") or die "$dir/$name: $!\n";
    print $fh $bytes;
    close $fh or die "$dir/$name: $!\n";
}
