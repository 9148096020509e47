"""The PSI arithmetic: the querier learns which of its keys the other side holds, and no more."""

from __future__ import annotations

from puente.hits import psi

# RFC 9380 draft test vectors (cfrg/draft-irtf-cfrg-hash-to-curve, poc/vectors): the
# expander, and Elligator 2 for curve25519 from the field element to the map's u-coordinate.
EXPANDER_DST = b"QUUX-V01-CS02-with-expander"
ELLIGATOR = [
    (0x65D61DFA58CF932CD60F65F24739D1AFE89442E4A3B2E6EA9D65B0865F148901,
     0x1241E151A4DA26769778A6C8AA5A219FF608C6C31BEA49A0558487A102BF6355),
    (0x1393600FD74775F0D19A8EBD282B05349641A8B079C71030BF1BF370C41ACEF9,
     0x25C758D9C7A11A43E72D3DDD7976458330FA9E37F63991457FAC99A70253CFBA),
    (0x3E2240CE35B52E6CE7F2CC4C3E57C03BC1619494256E495DADADB10DCC2675E8,
     0x6C70B60BBEA45867F1E270AF0812137AC64C8931370DAE67A4130141F9BBACB1),
]  # fmt: skip


def test_expand_message_xmd_matches_rfc_9380() -> None:
    assert psi.expand_message_xmd(b"", 32, EXPANDER_DST).hex() == (
        "2eaa1f7b5715f4736e6a5dbe288257abf1faa028680c1d938cd62ac699ead642"
    )
    assert psi.expand_message_xmd(b"abc", 32, EXPANDER_DST).hex() == (
        "0eeda81f69376c80c0f8986496f22f21124cb3c562cf1dc608d2c13005553b0f"
    )


def test_elligator2_matches_the_vectors() -> None:
    for field_element, u in ELLIGATOR:
        assert psi.elligator2_u(field_element) == u


def test_the_querier_finds_exactly_the_keys_the_index_holds() -> None:
    secret = psi.IndexSecret(psi.new_secret())
    held = [b"1|person.curp|BOXW310820HNERXN09", b"1|vehicle.vin|1HGCM82633A004352"]
    index = {secret.fingerprint(key) for key in held}
    asked = [held[1], b"1|vehicle.vin|1HGCM82633A004353", held[0]]
    blinding = psi.Blinding()
    blinded = [blinding.blind(key) for key in asked]
    assert not set(blinded) & {psi.hash_to_u(key) for key in asked}  # nothing in the clear
    answered = [secret.answer(b) for b in blinded]
    hits = [blinding.unblind(a) in index for a in answered]
    assert hits == [True, False, True]


def test_another_secret_or_another_blinding_changes_everything_but_the_answer() -> None:
    key = b"1|firearm.make-serial|GLOCK|ABC123"
    one, other = psi.IndexSecret(psi.new_secret()), psi.IndexSecret(psi.new_secret())
    assert one.fingerprint(key) != other.fingerprint(key)
    first, second = psi.Blinding(), psi.Blinding()
    assert first.blind(key) != second.blind(key)  # the queried side cannot link two queries
    assert first.unblind(one.answer(first.blind(key))) == second.unblind(
        one.answer(second.blind(key))
    )
    assert first.unblind(one.answer(first.blind(key))) == one.fingerprint(key)
