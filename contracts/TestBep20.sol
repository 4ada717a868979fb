// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A test stand-in for a Transfer-only BEP-20 stablecoin (BNB Chain's Binance-Peg USDT, 0x55d39832…, and
/// USDC, 0x8AC76a51…; the tracker's "erc20" layout). It is not Binance's code: it reproduces what an indexer
/// sees of it (README, Protocol facts):
///
///  - the only event that moves value is Transfer(from, to, value);
///  - mint(amount) by the owner credits the owner and emits Transfer(0x0 -> owner, amount);
///  - burn(amount) debits the caller and emits Transfer(caller -> 0x0, amount).
///
/// The real tokens have 18 decimals; this one has what the deployer asks for (6 or 18). There is no initial
/// supply, so every unit comes from a mint the test records. Operator functions (owner only) move balances
/// between arbitrary wallets, as TestTether's do, so tests need not fund every wallet.
contract TestBep20 {
    string public constant name = "Test BEP20 USD";
    string public constant symbol = "USDT";
    uint8 public immutable decimals;

    address public owner;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;

    event Transfer(address indexed from, address indexed to, uint256 value);

    modifier onlyOwner() {
        require(msg.sender == owner, "not owner");
        _;
    }

    constructor(uint8 decimals_) {
        owner = msg.sender;
        decimals = decimals_;
    }

    function mint(uint256 amount) external onlyOwner {
        totalSupply += amount;
        balanceOf[msg.sender] += amount;
        emit Transfer(address(0), msg.sender, amount);
    }

    function burn(uint256 amount) external {
        require(balanceOf[msg.sender] >= amount, "balance");
        balanceOf[msg.sender] -= amount;
        totalSupply -= amount;
        emit Transfer(msg.sender, address(0), amount);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function operatorTransfer(address from, address to, uint256 value) external onlyOwner {
        _move(from, to, value);
    }

    function batchTransfer(address[] calldata froms, address[] calldata tos, uint256[] calldata values)
        external
        onlyOwner
    {
        require(froms.length == tos.length && tos.length == values.length, "length");
        for (uint256 i = 0; i < froms.length; i++) {
            _move(froms[i], tos[i], values[i]);
        }
    }

    function _move(address from, address to, uint256 value) internal {
        require(to != address(0), "to the zero address: use burn");
        require(balanceOf[from] >= value, "balance");
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}
