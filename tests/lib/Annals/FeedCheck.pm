# Annals::FeedCheck: the checks every feed-filter test makes of one filter,
# once it knows which seqs the filter must pass: the live subscription and
# the backlog subscription (since 0) delivered exactly those seqs, `changes`
# paged by 3 returns them too, and every change delivered is the change log's
# entry for its seq (with no event on a delete).
package Annals::FeedCheck;

use strict;
use warnings;
use Exporter qw(import);
use Test::More;
use Annals::Test;

our @EXPORT_OK = qw(check_deliveries);

# check_deliveries(name => ..., filter => {...}, want => [seqs],
#                  live => [changes], backlog => [changes], log_at => {seq => entry})
sub check_deliveries {
    my %a = @_;
    my ($name, $f, $want, $log_at) = @a{qw(name filter want log_at)};
    my @live = @{ $a{live} // [] };
    my @back = @{ $a{backlog} // [] };

    is_deeply([map { $_->{seq} } @live], $want, "$name: the live subscription delivers exactly seqs @$want");
    is_deeply([map { $_->{seq} } @back], $want, "$name: the backlog subscription (since 0) delivers the same");

    my (@pulled, $rounds);
    my $since = 0;
    while (1) {
        my ($e, $r) = rpc('changes', { %$f, since => $since, limit => 3 });
        if ($e) { fail("$name: changes: " . to_json($e)); last }
        last unless @{ $r->{changes} };
        push @pulled, @{ $r->{changes} };
        $since = $r->{next};
        last if ++$rounds > 100;
    }
    is_deeply([map { $_->{seq} } @pulled], $want, "$name: changes, paged by 3, returns the same seqs");

    my $wrong = 0;
    for my $c (@live, @back, @pulled) {
        my %c = %$c;
        delete $c{sub};
        next if to_json(\%c) eq to_json($log_at->{ $c{seq} } // {})
             && ($c{op} eq 'put' ? ref $c{event} eq 'HASH' : !exists $c{event});
        diag("$name: " . to_json($c) . ' vs log ' . to_json($log_at->{ $c{seq} })) unless $wrong++;
    }
    is($wrong, 0, "$name: every change delivered is the log's entry (no event on a delete)");
}

1;
