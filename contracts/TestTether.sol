// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A test stand-in for Tether USD. It is not Tether's code: it only reproduces
/// the events an indexer sees, with USDT's exact signatures, and the ledger
/// effects behind them.
///
/// Layouts:
///  - Ethereum mainnet USDT: issue()/redeem() emit only Issue/Redeem and
///    credit/debit the owner without a Transfer; destroyBlackFunds() emits only
///    DestroyedBlackFunds (address not indexed).
///  - Tron USDT (`supplyTransferLegs = true`): issue() also emits
///    Transfer(0x0 -> owner) and redeem() Transfer(owner -> 0x0).
///
/// Operator functions (owner only) move balances between arbitrary wallets so
/// tests and benchmarks can build realistic flows without funding gas for
/// every wallet, and emit many Transfer logs per transaction.
contract TestTether {
    string public constant name = "Test Tether USD";
    string public constant symbol = "USDT";
    uint8 public constant decimals = 6;

    address public owner;
    uint256 public totalSupply;
    bool public immutable supplyTransferLegs;
    mapping(address => uint256) public balanceOf;
    mapping(address => bool) public isBlackListed;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Issue(uint256 amount);
    event Redeem(uint256 amount);
    event DestroyedBlackFunds(address _blackListedUser, uint256 _balance);
    event AddedBlackList(address _user);
    event RemovedBlackList(address _user);

    modifier onlyOwner() {
        require(msg.sender == owner, "not owner");
        _;
    }

    constructor(uint256 initialSupply, bool withSupplyTransferLegs) {
        owner = msg.sender;
        supplyTransferLegs = withSupplyTransferLegs;
        totalSupply = initialSupply;
        balanceOf[msg.sender] = initialSupply;
    }

    function _move(address from, address to, uint256 value) internal {
        require(!isBlackListed[from], "blacklisted");
        require(balanceOf[from] >= value, "balance");
        unchecked {
            balanceOf[from] -= value;
        }
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function issue(uint256 amount) external onlyOwner {
        balanceOf[owner] += amount;
        totalSupply += amount;
        emit Issue(amount);
        if (supplyTransferLegs) emit Transfer(address(0), owner, amount);
    }

    function redeem(uint256 amount) external onlyOwner {
        require(balanceOf[owner] >= amount, "balance");
        require(totalSupply >= amount, "supply");
        balanceOf[owner] -= amount;
        totalSupply -= amount;
        emit Redeem(amount);
        if (supplyTransferLegs) emit Transfer(owner, address(0), amount);
    }

    function addBlackList(address user) external onlyOwner {
        isBlackListed[user] = true;
        emit AddedBlackList(user);
    }

    function removeBlackList(address user) external onlyOwner {
        isBlackListed[user] = false;
        emit RemovedBlackList(user);
    }

    function destroyBlackFunds(address user) external onlyOwner {
        require(isBlackListed[user], "not blacklisted");
        uint256 dirtyFunds = balanceOf[user];
        balanceOf[user] = 0;
        totalSupply -= dirtyFunds;
        emit DestroyedBlackFunds(user, dirtyFunds);
    }

    /// Move `value` from any wallet to any other, as that wallet would.
    function operatorTransfer(address from, address to, uint256 value) external onlyOwner {
        _move(from, to, value);
    }

    /// Many transfers in one transaction: froms[i] -> tos[i] of values[i].
    function batchTransfer(address[] calldata froms, address[] calldata tos, uint256[] calldata values)
        external
        onlyOwner
    {
        require(froms.length == tos.length && tos.length == values.length, "length");
        for (uint256 i = 0; i < froms.length; i++) {
            _move(froms[i], tos[i], values[i]);
        }
    }

    /// Benchmark load: `count` transfers from the owner to `wallets` synthetic
    /// addresses (base + i % wallets), amounts 1..1_000_000 raw units, so a few
    /// transactions carry 100k+ logs with realistic address reuse.
    function spray(uint256 count, uint160 base, uint256 wallets) external onlyOwner {
        require(wallets > 0, "wallets");
        for (uint256 i = 0; i < count; i++) {
            _move(owner, address(base + uint160(i % wallets)), (i % 1_000_000) + 1);
        }
    }
}
