/**
 * Known-answer vectors for Poseidon2 over BabyBear, width 16, with the HorizenLabs reference
 * constants: Plonky3 commit 017aee5f7d4ae01f07bff440c3f0b084b9cd6504, baby-bear/src/poseidon2.rs
 * (tests test_poseidon2_width_16_zeroes, _range and _random).
 */
export const POSEIDON2_VECTORS: readonly { name: string; input: readonly number[]; output: readonly number[] }[] = [
  {
    name: 'all zeros (test_poseidon2_width_16_zeroes)',
    input: new Array(16).fill(0),
    output: [
      1337856655, 1843094405, 328115114, 964209316, 1365212758, 1431554563, 210126733, 1214932203, 1929553766,
      1647595522, 1496863878, 324695999, 1569728319, 1634598391, 597968641, 679989771,
    ],
  },
  {
    name: '[0, 1, …, 15] (test_poseidon2_width_16_range)',
    input: Array.from({ length: 16 }, (_, i) => i),
    output: [
      896560466, 771677727, 128113032, 1378976435, 160019712, 1452738514, 682850273, 223500421, 501450187, 1804685789,
      1671399593, 1788755219, 1736880027, 1352180784, 1928489698, 1128802977,
    ],
  },
  {
    name: 'a random input (test_poseidon2_width_16_random)',
    input: [
      1179785652, 1291567559, 66272299, 471640172, 653876821, 478855335, 871063984, 540251327, 1506944720, 1403776782,
      770420443, 126472305, 1535928603, 1017977016, 818646757, 359411429,
    ],
    output: [
      1736862924, 1950079822, 952072292, 1965704005, 236226362, 1113998185, 1624488077, 391891139, 1194078311,
      1040746778, 1898067001, 774167026, 193702242, 859952892, 732204701, 1744970965,
    ],
  },
];
